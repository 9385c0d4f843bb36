"""Scoring a night end to end, one module per kind of input.

- :mod:`plms.pipeline.core`: what the pipelines share (apply the rules, sum
  up, build the :class:`~plms.result.ScoreResult`, read the annotations);
  :func:`~plms.pipeline.core.score_lms` scores leg movements already detected;
- :mod:`plms.pipeline.emg`: :func:`~plms.pipeline.emg.score_edf`, a PSG night's leg EMG;
- :mod:`plms.pipeline.accel`: :func:`~plms.pipeline.accel.score_accel`, ankle accelerometers;
- :mod:`plms.pipeline.rescore`: :func:`plms.rescore`, the leg movements of an
  annotation file;
- :mod:`plms.pipeline.excerpt`: the stretch of signal kept for reports.

The entry points are reached from the top: :func:`plms.score_edf`,
:func:`plms.score_accel`, :func:`plms.rescore`, :func:`plms.score_lms`.
"""
