from ml_metadata.proto import metadata_store_pb2 as mlmd

from pipelines.run_progress import ComponentUsage, ExecutionWatcher, Sample, UsageMeter, sample
from tinyml.runs.summary_test import _record

E = mlmd.Execution


def test_each_start_and_end_is_reported_once(tmp_path):
    store = tmp_path / "p.sqlite"
    events = []
    watcher = ExecutionWatcher(store, "p", "r1", lambda node, event: events.append((node, event)))
    watcher.poll()  # no store yet: nothing, and no error
    _record(store, "r1", [E.COMPLETE, E.CACHED, E.FAILED, E.RUNNING])
    watcher.poll()
    watcher.poll()
    assert events == [("CsvExampleGen", "running"), ("CsvExampleGen", "finished"), ("Transform", "running"),
                      ("Transform", "finished"), ("Trainer", "running"), ("Trainer", "failed"), ("Evaluator", "running")]


def test_usage_meter_gives_each_node_its_cpu_and_peak_rss():
    meter = UsageMeter()
    meter.start("A", Sample(cpu_s=10.0, rss_mb=500, hwm_mb=600))
    meter.tick(Sample(cpu_s=12.0, rss_mb=550, hwm_mb=600))
    meter.end("A", Sample(cpu_s=13.5, rss_mb=520, hwm_mb=600))  # below the process's peak: the most ticks saw
    meter.start("B", Sample(cpu_s=13.5, rss_mb=520, hwm_mb=600))
    meter.tick(Sample(cpu_s=15.0, rss_mb=700, hwm_mb=900))
    meter.end("B", Sample(cpu_s=20.0, rss_mb=650, hwm_mb=900))  # raised the peak: the peak, not the ticks
    meter.tick(Sample(cpu_s=21.0, rss_mb=2000, hwm_mb=2000))  # after both ended: neither's
    assert meter.usage == {"A": ComponentUsage(cpu_s=3.5, peak_rss_mb=550), "B": ComponentUsage(cpu_s=6.5, peak_rss_mb=900)}


def test_sample_reads_this_process():
    first = sample()
    sum(range(200_000))
    second = sample()
    assert 0 < first.rss_mb <= first.hwm_mb <= second.hwm_mb
    assert second.cpu_s >= first.cpu_s
