"""Polysomnography recordings: EDF, EDF+ and BDF files and ``mne.io.Raw`` nights.

:mod:`~plms.io.psg.edf` reads a night's leg EMG (and ECG) channels into a
:class:`~plms.io.psg.edf.Recording`, choosing them by label
(:mod:`plms.io.channels`, shared with the annotation and accelerometer
readers); :mod:`~plms.io.psg.mne_raw` takes a night already loaded in MNE-Python.
"""
