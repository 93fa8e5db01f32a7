"""Reading back what a trial printed into ``std.out`` after a crash of the tuner."""

from __future__ import annotations

from synetune_sdk.backend import RUNS_FILENAME, note_run_start, printed_results
from synetune_sdk.reporter import Reporter


def print_run(folder, lines, capsys):
    """Append one run's output to std.out as a backend does: note its start, then print."""
    out = folder / "std.out"
    note_run_start(folder, out.stat().st_size if out.exists() else 0)
    report = Reporter()
    for line in lines:
        if isinstance(line, dict):
            report(**line)
        else:
            print(line)
    with open(out, "a") as f:
        f.write(capsys.readouterr().out)


def test_only_the_last_run_is_read_back_in_order(tmp_path, capsys):
    print_run(tmp_path, [{"epoch": 1, "loss": 0.9}, {"epoch": 2, "loss": 0.8}], capsys)
    print_run(
        tmp_path, ["training...", {"epoch": 3, "loss": 0.7}, {"epoch": 4, "loss": 0.6}], capsys
    )
    runs, results = printed_results(tmp_path)
    assert runs == 2
    assert [(r["epoch"], r["loss"]) for r in results] == [(3, 0.7), (4, 0.6)]
    assert all("st_worker_timestamp" in r for r in results)


def test_malformed_and_cut_lines_are_left_out(tmp_path, capsys):
    print_run(tmp_path, [{"epoch": 1, "loss": 0.5}, "[tune-metric]: {not json"], capsys)
    with open(tmp_path / "std.out", "a") as f:
        f.write('[tune-metric]: {"epoch": 2, "lo')  # killed in the middle of a print
    runs, results = printed_results(tmp_path)
    assert runs == 1 and [r["epoch"] for r in results] == [1]


def test_without_a_note_or_an_output_nothing_is_claimed(tmp_path, capsys):
    assert printed_results(tmp_path) is None
    (tmp_path / "std.out").write_text('[tune-metric]: {"epoch": 1}\n')
    assert printed_results(tmp_path) is None  # no run was noted: which run printed it?
    (tmp_path / RUNS_FILENAME).write_text("0\n")
    (tmp_path / "std.out").unlink()
    assert printed_results(tmp_path) is None
