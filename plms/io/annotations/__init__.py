"""Scored annotations: sleep stages, leg movements, respiratory events and arousals.

One reader per format (NSRR XML, EDF+ annotations, RemLogic exports, CSV/TSV
tables, hypnogram text, MNE and YASA objects), each building one
:class:`plms.annotations.Annotations`; :func:`plms.io.read_annotations` picks
the reader.
"""
