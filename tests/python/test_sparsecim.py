"""`import sparsecim` (python/sparsecim_py.cpp): the same results as the command line, mappings
that reconstruct, bad arguments as ValueError/TypeError and never a crash, and the example.

Run by ctest (test Python.pytest) with PYTHONPATH at the built module and SPARSECIM_BINARY set.
"""
import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

import sparsecim

BINARY = os.environ["SPARSECIM_BINARY"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def without_timing(results):
    results = dict(results)
    results.pop("timing", None)
    return results


def test_evaluate_equals_the_command_lines_results_json(tmp_path):
    cli = subprocess.run(
        [BINARY, "evaluate", "--model", "zoo:lenet", "--schemes", "dense,csr,pattern",
         "--param", "csr.sparsity=0.7", "--images", "2", "--accuracy-images", "40",
         "--adc-accuracy-images", "0", "--calib-images", "32", "--check-exact", "--tuned", "none",
         "--json", "--out", str(tmp_path / "out")],
        check=True, capture_output=True, text=True).stdout
    py = sparsecim.evaluate("zoo:lenet", schemes=["dense", "csr", "pattern"],
                            params={"csr": {"sparsity": 0.7}}, images=2, accuracy_images=40,
                            calib_images=32, check_exact=True, tuned="none")
    assert without_timing(py) == without_timing(json.loads(cli))
    assert all(s["ideal_mismatches"] == 0 for s in py["schemes"])


def test_numpy_inputs_equal_the_same_arrays_as_files(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.random((24, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 24)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    common = dict(model="zoo:lenet", schemes=["dense", "csr"], images=1, accuracy_images=24,
                  calib_images=8, check_exact=True)
    arrays = sparsecim.evaluate(inputs=x, labels=y, **common)
    files = sparsecim.evaluate(inputs=str(tmp_path / "x.npy"), labels=str(tmp_path / "y.npy"),
                               **common)
    assert arrays["config"]["accuracy_images"] == 16  # the last 8 calibrate
    assert [s["accuracy"] for s in arrays["schemes"]] == [s["accuracy"] for s in files["schemes"]]
    assert [s["ideal_mismatches"] for s in arrays["schemes"]] == [0, 0]


@pytest.mark.parametrize("scheme", ["dense", "csr", "sme", "pattern"])
def test_map_layer_reconstructs(scheme):
    w = np.random.default_rng(2).integers(-128, 128, (72, 16))
    w[np.abs(w) < 60] = 0
    m = sparsecim.map_layer(w, scheme)
    assert m.crossbars == len(m.cells) >= 1
    assert (m.reconstruct() == w).all()
    assert all(c.dtype == np.uint8 and c.ndim == 2 for c in m.cells)


def test_errors_raise_value_error_with_the_librarys_line():
    with pytest.raises(ValueError, match="^images: must be at least 1$"):
        sparsecim.evaluate("zoo:lenet", images=0)
    with pytest.raises(ValueError, match="unknown scheme|no scheme"):
        sparsecim.evaluate("zoo:lenet", schemes=["nope"])
    with pytest.raises(ValueError, match="csr.beta"):
        sparsecim.evaluate("zoo:lenet", schemes=["csr"], params={"csr": {"beta": 0}})
    with pytest.raises(ValueError, match="outside the 8-bit range"):
        sparsecim.map_layer(np.full((4, 4), 300), "dense")
    with pytest.raises(ValueError, match="^/nonexistent.onnx: file not found$"):
        sparsecim.evaluate("/nonexistent.onnx")


def test_bad_arguments_never_crash_the_interpreter():
    """Random argument values of every kind: each call returns or raises, the process lives."""
    rng = random.Random(3)
    junk = [None, 0, -1, 2**70, 1.5, float("nan"), "", "zoo:", "x=1", [], {}, {"a": {"b": []}},
            [1, 2], np.zeros(0), np.zeros((2, 2, 2)), object(), b"\x00"]
    for _ in range(300):
        fn = rng.choice(["evaluate", "map_layer", "reprice"])
        try:
            if fn == "reprice":
                broken = {"config": {"hw": rng.choice(junk)}, "schemes": rng.choice(junk),
                          "baselines": []}
                sparsecim.reprice(rng.choice(junk + [broken]), ert=rng.choice(junk + ["x"]),
                                  art=rng.choice(["", "x"]))
            elif fn == "evaluate":
                kw = {k: rng.choice(junk) for k in rng.sample(
                    ["hw", "schemes", "params", "images", "inputs", "labels", "mean", "tuned"],
                    rng.randint(1, 3))}
                sparsecim.evaluate("zoo:tiny-cnn", accuracy_images=0, **kw)
            else:
                sparsecim.map_layer(rng.choice(junk), rng.choice(["dense", "csr", "x", ""]),
                                    hw=rng.choice([None, {"ou.rows": 0}, "nope", {"x": []}]))
        except (ValueError, TypeError):
            pass


def test_the_pytorch_example_runs():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "pytorch_to_sparsecim.py")],
                         check=True, capture_output=True, text=True).stdout
    assert "dense" in out and "exact" in out


@pytest.mark.parametrize("scheme", ["dense", "csr", "sme", "pattern"])
def test_simulate_is_exact_under_an_ideal_adc_and_priced(scheme):
    rng = np.random.default_rng(4)
    w = rng.integers(-128, 128, (72, 16))
    w[np.abs(w) < 60] = 0
    x = rng.integers(0, 256, (5, 72))
    m = sparsecim.map_layer(w, scheme)
    r = sparsecim.simulate(m, x, ideal_adc=True)
    assert (r["exact"] == x @ w).all()
    assert (r["outputs"] == r["exact"]).all() and r["mismatches"] == 0
    assert r["counts"]["ou_ops"] > 0
    cost = sparsecim.price(m, r)
    assert cost["energy_pj"] > 0 and cost["area_mm2"] > 0
    # The same counts on a config whose ADC costs more cost more.
    dear = sparsecim.price(m, r, hw={"adc.energy_pj": 100.0})
    assert dear["energy_pj"] > cost["energy_pj"]
    with pytest.raises(ValueError, match="unsigned 8-bit input"):
        sparsecim.simulate(m, x - 1)


def test_progress_reaches_a_callback_and_its_exception_ends_the_run():
    stages = []
    sparsecim.evaluate("zoo:tiny-cnn", schemes=["dense", "csr"], progress=stages.append)
    assert any(s.startswith("csr") for s in stages), stages

    def stop(stage):
        raise KeyboardInterrupt("stopped at " + stage)

    with pytest.raises(KeyboardInterrupt, match="stopped at"):
        sparsecim.evaluate("zoo:tiny-cnn", schemes=["dense"], progress=stop)
    with pytest.raises(ValueError, match="progress: expected a callable"):
        sparsecim.evaluate("zoo:tiny-cnn", progress=3)


def test_accelergy_round_trip_and_a_custom_table(tmp_path):
    """Export a run's prices as Accelergy ERT/ART, re-price with them: the same results exactly.
    A table with a dearer ADC re-prices the stored counts without simulating again."""
    r = sparsecim.evaluate("zoo:tiny-cnn", schemes=["dense", "csr", "sme"], images=1,
                           accuracy_images=0, calib_images=16)
    written = sparsecim.export_accelergy(r, str(tmp_path))
    assert str(tmp_path / "ERT.yaml") in written
    assert any(p.endswith(os.path.join("csr", "total.yaml")) for p in written)
    tables = dict(ert=str(tmp_path / "ERT.yaml"), art=str(tmp_path / "ART.yaml"),
                  bind=str(tmp_path / "bindings.yaml"))
    assert without_timing(sparsecim.reprice(r, **tables)) == without_timing(r)

    ert = (tmp_path / "ERT.yaml").read_text()
    adc = r["config"]["hw"]["adc"]["energy_pj"]
    old = '"macro.adc"\n    actions:\n    - name: "read"\n      arguments: null\n      energy: '
    assert old + repr(adc) in ert
    (tmp_path / "dear.yaml").write_text(ert.replace(old + repr(adc), old + repr(10 * adc)))
    dear = sparsecim.reprice(r, ert=str(tmp_path / "dear.yaml"), art=tables["art"])
    for before, after in zip(r["schemes"], dear["schemes"]):
        assert after["energy_pj_by_component"]["adc"] == pytest.approx(
            10 * before["energy_pj_by_component"]["adc"])
        assert after["counts"] == before["counts"]
        assert after["area_mm2"] == before["area_mm2"]
    with pytest.raises(ValueError, match="results: not JSON"):
        sparsecim.reprice({"config": {"hw": float("nan")}})
    with pytest.raises(ValueError, match="ert, art: give both or neither"):
        sparsecim.reprice(r, ert=tables["ert"])
    with pytest.raises(ValueError, match="bare.yaml: no table for component macro.cell"):
        (tmp_path / "bare.yaml").write_text("ERT:\n  tables: []\n")
        sparsecim.reprice(r, ert=str(tmp_path / "bare.yaml"), art=tables["art"])
