"""NSRR XML annotations, hostile and malformed XML, sidecar lookup, dispatch."""

from __future__ import annotations

from pathlib import Path

import pytest

from plms.errors import PlmsInputError
from plms.io import find_sidecar, read_annotations, read_nsrr_xml

DATA = Path(__file__).parent / "data"
SHHS_LIKE = DATA / "shhs_like-nsrr.xml"  # content described in tests/data/README.md


def _xml(events: str, epoch: str = "<EpochLength>30</EpochLength>") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<PSGAnnotation>\n'
        f"<SoftwareVersion>Compumedics</SoftwareVersion>\n{epoch}\n"
        f"<ScoredEvents>\n{events}\n</ScoredEvents>\n</PSGAnnotation>\n"
    )


def _event(etype: str, concept: str, start, duration, location: str | None = None) -> str:
    loc = f"<SignalLocation>{location}</SignalLocation>" if location else ""
    return (
        f"<ScoredEvent><EventType>{etype}</EventType><EventConcept>{concept}</EventConcept>"
        f"<Start>{start}</Start><Duration>{duration}</Duration>{loc}</ScoredEvent>"
    )


def _write(tmp_path, text: str, name: str = "a-nsrr.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_the_shhs_like_fixture():
    ann = read_nsrr_xml(SHHS_LIKE)
    expected = ["W"] * 3 + ["N1"] + ["N2"] * 6 + ["N3"] * 2 + ["R"] * 4 + ["MT", "U", "W", "W"]
    assert ann.hypnogram.stages.tolist() == expected
    assert ann.hypnogram.epoch_s == 30 and ann.hypnogram.start_s == 0
    assert ann.respiratory.values.tolist() == [
        [150.5, 14.2, "obstructive apnea"],
        [200.0, 12.0, "hypopnea"],
        [380.0, 10.0, "central apnea"],
    ]
    assert ann.arousals.values.tolist() == [[166.0, 6.0], [420.0, 4.5]]
    assert ann.leg_movements.values.tolist() == [
        [130.0, 1.5, "left"], [155.0, 2.0, "right"], [175.0, 0.9, "right"]]
    assert ann.respiratory_scored and ann.arousals_scored
    assert ann.source == str(SHHS_LIKE)


def test_scored_psg_without_events_means_none_occurred(tmp_path):
    path = _write(tmp_path, _xml(_event("Stages|Stages", "Wake|0", 0, 60)))
    ann = read_nsrr_xml(path)
    assert ann.respiratory.empty and ann.arousals.empty
    assert ann.respiratory_scored and ann.arousals_scored


def test_without_stages_nothing_is_taken_as_scored(tmp_path):
    path = _write(tmp_path, _xml(_event("Limb Movement|Limb Movement",
                                        "Limb movement - left|Limb Movement (Left)", 3, 1)))
    ann = read_nsrr_xml(path)
    assert ann.hypnogram is None and not ann.respiratory_scored and not ann.arousals_scored
    assert ann.leg_movements["side"].tolist() == ["left"]


def test_epoch_length_is_taken_from_the_file(tmp_path):
    events = _event("Stages|Stages", "Wake|0", 0, 40) + _event(
        "Stages|Stages", "REM sleep|5", 40, 20
    )
    ann = read_nsrr_xml(_write(tmp_path, _xml(events, "<EpochLength>20</EpochLength>")))
    assert ann.hypnogram.epoch_s == 20 and ann.hypnogram.stages.tolist() == ["W", "W", "R"]


def test_overlapping_stages_name_the_onset(tmp_path):
    events = _event("Stages|Stages", "Wake|0", 0, 90) + _event(
        "Stages|Stages", "Stage 2 sleep|2", 60, 30
    )
    with pytest.raises(PlmsInputError, match=r"overlap with different stages \(W and N2\) at 60 s"):
        read_nsrr_xml(_write(tmp_path, _xml(events)))


def test_event_without_a_valid_start(tmp_path):
    path = _write(tmp_path, _xml(_event("Arousals|Arousals", "Arousal|Arousal ()", "soon", 3)))
    with pytest.raises(PlmsInputError, match=r"scored event 1 has no valid <Start> \('soon'\)"):
        read_nsrr_xml(path)


def test_duration_crops_events(tmp_path):
    events = _event("Stages|Stages", "Wake|0", 0, 60) + _event("Respiratory|Respiratory",
                                                               "Hypopnea|Hypopnea", 100, 10)
    ann = read_nsrr_xml(_write(tmp_path, _xml(events)), duration_s=60)
    assert ann.respiratory.empty and any("outside the recording" in w for w in ann.warnings)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<PSGAnnotation><EpochLength>&lol4;</EpochLength></PSGAnnotation>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE PSGAnnotation [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PSGAnnotation><SoftwareVersion>&xxe;</SoftwareVersion><ScoredEvents/></PSGAnnotation>
"""
PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE PSGAnnotation [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<PSGAnnotation><ScoredEvents/></PSGAnnotation>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY])
def test_hostile_xml_is_refused(tmp_path, text):
    path = _write(tmp_path, text, "evil.xml")
    with pytest.raises(PlmsInputError, match=r"refused: the XML declares entities") as info:
        read_nsrr_xml(path)
    assert str(info.value).startswith(str(path))


def test_malformed_xml_gives_the_line(tmp_path):
    text = _xml(_event("Stages|Stages", "Wake|0", 0, 30)).replace("</ScoredEvents>", "", 1)
    with pytest.raises(PlmsInputError, match=r"the XML is malformed at line \d+, column \d+"):
        read_nsrr_xml(_write(tmp_path, text))


def test_not_an_nsrr_file(tmp_path):
    with pytest.raises(PlmsInputError, match="no <ScoredEvents> element .*<Study>"):
        read_nsrr_xml(_write(tmp_path, "<Study><SleepStages/></Study>"))
    with pytest.raises(PlmsInputError, match="Profusion XML .*<CMPStudyConfig>.*profusion"):
        read_nsrr_xml(_write(tmp_path, "<CMPStudyConfig><SleepStages/></CMPStudyConfig>"))
    with pytest.raises(PlmsInputError, match="does not exist"):
        read_nsrr_xml(tmp_path / "missing.xml")


def test_read_annotations_dispatches_on_the_suffix(tmp_path):
    copy = _write(tmp_path, SHHS_LIKE.read_text(), "night.XML")
    assert read_annotations(copy).hypnogram.n_epochs == 20
    assert read_annotations(copy, duration_s=300).hypnogram.n_epochs == 10


def test_find_sidecar(tmp_path):
    edf = tmp_path / "shhs1-200001.edf"
    edf.write_bytes(b"")
    assert find_sidecar(edf) is None
    plain = _write(tmp_path, "<x/>", "shhs1-200001.XML")
    assert find_sidecar(edf) == plain
    nsrr = _write(tmp_path, "<x/>", "shhs1-200001-nsrr.xml")
    assert find_sidecar(edf) == nsrr  # the NSRR name is preferred
    _write(tmp_path, "<x/>", "shhs1-2000011-nsrr.xml")  # another night: never taken
    assert find_sidecar(tmp_path / "shhs1-20000.edf") is None
