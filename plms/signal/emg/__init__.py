"""Leg EMG: conditioning, resting baseline, artifacts, cardiac gating and LM detection.

Data flow: :mod:`~plms.signal.emg.conditioning` (filters, envelope) and
:mod:`~plms.signal.emg.artifacts` / :mod:`~plms.signal.emg.cardiac` (what to
leave out) feed :mod:`~plms.signal.emg.baseline` and
:mod:`~plms.signal.emg.detect` (:func:`~plms.signal.emg.detect.detect_lm`).
"""
