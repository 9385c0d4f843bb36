"""From samples to leg movements: signal conditioning and detection.

- :mod:`plms.signal.events`: what both modalities share (the event matcher,
  the hysteresis event finder, run edges);
- :mod:`plms.signal.emg`: leg EMG conditioning (filters, mains, cardiac
  artifact, detached electrodes), resting baseline and LM detection;
- :mod:`plms.signal.accel`: ankle accelerometer activity, LM detection and
  sleep/wake estimation.
"""
