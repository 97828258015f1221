from benchmarks.pipeline_bench import print_table, ratios, verdicts


def _run(wall, cpu, rss, node_cpu):
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss, "load_avg": [1.0, 1.0],
            "components": {"Trainer": {"state": "complete", "seconds": wall / 2, "cpu_s": node_cpu, "peak_rss_mb": rss}}}


def test_cpu_ratio_beside_wall_ratio_per_component_cpu_and_rss_in_table(capsys):
    fresh, plain = _run(60.0, 44.0, 1200.0, 9.5), _run(40.0, 40.0, 1100.0, 6.5)
    plain["components"]["DataGate"] = {"state": "complete", "seconds": 1.0, "cpu_s": None, "peak_rss_mb": None}
    scale = {"fresh": fresh, "cached": _run(7.0, 7.0, 800.0, 0.0), "plain_tfx": plain, "rows": 1797,
             **ratios(fresh, plain)}
    assert (scale["ratio_to_plain_tfx"], scale["cpu_ratio_to_plain_tfx"]) == (1.5, 1.1)
    results = {"scales": {"1": scale}, "commands": {"tinyml --help": {"wall_s": 0.5, "load_avg": [1.0, 1.0]}}}
    results["targets"] = verdicts(results)
    assert not results["targets"]["x1_ratio_to_plain_tfx"]["ok"] and results["targets"]["x1_cpu_ratio_to_plain_tfx"]["ok"]
    print_table(results)
    out = capsys.readouterr().out
    assert "wall 1.5, CPU 1.1" in out
    trainer = next(line for line in out.splitlines() if line.strip().startswith("Trainer")).split()
    assert trainer[1:] == ["30.0", "9.5", "1200.0", "3.5", "0.0", "800.0", "20.0", "6.5", "1100.0"]
    assert next(line for line in out.splitlines() if "DataGate" in line).split()[1:] == ["-"] * 6 + ["1.0", "-", "-"]
