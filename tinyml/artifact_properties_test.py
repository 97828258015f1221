from ml_metadata.proto import metadata_store_pb2
from tfx.types import standard_artifacts

from tinyml.artifact_properties import custom_property, is_blessed, span, spans


def _examples(span_value=None):
    examples = standard_artifacts.Examples()
    if span_value is not None:
        examples.set_int_custom_property("span", span_value)
    return examples


def test_a_tfx_artifact_and_its_mlmd_proto_read_the_same():
    blessing = standard_artifacts.ModelBlessing()
    blessing.set_int_custom_property("blessed", 1)
    blessing.set_string_custom_property("blessed_targets", '["cortex-m4f"]')
    for artifact in (blessing, blessing.mlmd_artifact):
        assert custom_property(artifact, "blessed") == 1 and is_blessed(artifact)
        assert custom_property(artifact, "blessed_targets") == '["cortex-m4f"]'
        assert custom_property(artifact, "current_model_id") is None


def test_an_unset_span_is_none_not_zero():
    assert span(_examples()) is None and span(_examples(0)) == 0
    assert span(None) is None and not is_blessed(None)
    proto = metadata_store_pb2.Artifact()
    proto.custom_properties["span"].int_value = 4
    assert span(proto) == 4


def test_spans_are_distinct_and_ascending():
    assert spans([_examples(3), _examples(1), _examples(), _examples(3)]) == [1, 3]
    assert spans([]) == []
