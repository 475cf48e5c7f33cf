// `import sparsecim`: the library from Python (pybind11), one thin file over the same calls the
// command line makes. evaluate() returns results.json's content as dicts and lists; map_layer()
// maps one integer weight matrix with a scheme and checks it reconstructs. A sparsecim::Error
// (any bad input) raises ValueError with the library's one-line message; long calls release the
// GIL. docs/python.md.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "cost/cost_model.hpp"
#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "model/npy.hpp"
#include "pipeline/evaluate.hpp"
#include "results/reprice.hpp"
#include "results/results_json.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"

namespace py = pybind11;
using namespace sparsecim;

namespace {

// A Python value as the text a "key=value" assignment takes (numbers and booleans as JSON).
std::string value_text(const py::handle& v) {
    if (py::isinstance<py::bool_>(v)) return v.cast<bool>() ? "true" : "false";
    if (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v))
        return py::str(v).cast<std::string>();
    if (py::isinstance<py::str>(v)) return v.cast<std::string>();
    throw Error("expected a number, a boolean or a string, got " +
                py::str(py::type::of(v)).cast<std::string>());
}

// hw: None (configs/hw/dense.yaml), a preset name, a YAML path, or a dict of "section.key"
// overrides, which may name its base config under "config".
void apply_hw(const py::object& hw, EvalOptions& o) {
    auto config = [&](const std::string& spec) {
        const std::filesystem::path preset =
            std::filesystem::path(SPARSECIM_SOURCE_DIR) / "configs" / "hw" / (spec + ".yaml");
        o.hw_path = std::filesystem::exists(spec) || !std::filesystem::exists(preset)
                        ? spec
                        : preset.string();
    };
    if (hw.is_none()) return;
    if (py::isinstance<py::str>(hw)) return config(hw.cast<std::string>());
    if (!py::isinstance<py::dict>(hw))
        throw Error("hw: expected a preset name, a YAML path or a dict of overrides");
    for (const auto& [k, v] : hw.cast<py::dict>()) {
        const std::string key = py::str(k).cast<std::string>();
        if (key == "config")
            config(value_text(v));
        else
            o.hw_overrides.push_back(key + "=" + value_text(v));
    }
}

// params: {"csr": {"sparsity": 0.7}} or {"csr.sparsity": 0.7}.
std::vector<std::string> param_assignments(const py::object& params) {
    std::vector<std::string> out;
    if (params.is_none()) return out;
    if (!py::isinstance<py::dict>(params))
        throw Error("params: expected a dict such as {'csr': {'sparsity': 0.7}}");
    for (const auto& [k, v] : params.cast<py::dict>()) {
        const std::string key = py::str(k).cast<std::string>();
        if (py::isinstance<py::dict>(v)) {
            for (const auto& [k2, v2] : v.cast<py::dict>())
                out.push_back(key + "." + py::str(k2).cast<std::string>() + "=" + value_text(v2));
        } else {
            out.push_back(key + "=" + value_text(v));
        }
    }
    return out;
}

// Arrays given as numpy arrays are written as .npy files into a folder removed afterwards, so the
// run reads them as it reads a user's files (the same checks, the same messages).
class ArrayFiles {
  public:
    ArrayFiles() {
        static std::atomic<int> counter{0};
        dir_ = std::filesystem::temp_directory_path() /
               ("sparsecim-py-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    }
    ~ArrayFiles() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    ArrayFiles(const ArrayFiles&) = delete;
    ArrayFiles& operator=(const ArrayFiles&) = delete;

    // A path as it is; an array as a .npy file (images float32, labels int64).
    std::string path(const py::object& a, const std::string& name, bool labels) {
        if (a.is_none()) return "";
        if (py::isinstance<py::str>(a)) return a.cast<std::string>();
        std::filesystem::create_directories(dir_);
        const std::filesystem::path p = dir_ / (name + ".npy");
        if (labels) {
            auto arr = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
            if (!arr) throw Error(name + ": expected an integer array or a .npy path");
            std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
            write_file_atomic(p, npy_int64_bytes(shape, std::vector<int64_t>(
                                                            arr.data(), arr.data() + arr.size())));
        } else {
            auto arr = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
            if (!arr) throw Error(name + ": expected a float array or a .npy path");
            std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
            write_file_atomic(
                p, npy_bytes(shape, std::vector<float>(arr.data(), arr.data() + arr.size())));
        }
        return p.string();
    }

    // A model spec as it is; ONNX bytes as a .onnx file.
    std::string model(const py::object& m) {
        if (m.is_none()) return "";
        if (py::isinstance<py::str>(m)) return m.cast<std::string>();
        if (!py::isinstance<py::bytes>(m))
            throw Error("model: expected a path, zoo:NAME or ONNX bytes");
        std::filesystem::create_directories(dir_);
        const std::filesystem::path p = dir_ / "model.onnx";
        write_file_atomic(p, m.cast<std::string>());
        return p.string();
    }

  private:
    std::filesystem::path dir_;
};

py::object json_loads(const std::string& text) {
    return py::module_::import("json").attr("loads")(text);
}

py::object evaluate_py(const py::object& model, const py::object& hw,
                       const std::vector<std::string>& schemes, const py::object& params,
                       int64_t images, int64_t accuracy_images, int64_t calib_images,
                       const py::object& inputs, const py::object& labels,
                       const std::vector<float>& mean, const std::vector<float>& stdev,
                       bool check_exact, bool counts_only, const std::string& tuned, uint64_t seed,
                       const py::object& progress) {
    EvalOptions o;
    ArrayFiles files;
    o.model = files.model(model);
    apply_hw(hw, o);
    o.schemes = schemes;
    if (o.schemes.empty())
        for (const Scheme& s : scheme_registry()) o.schemes.push_back(s.name);
    o.scheme_params = param_assignments(params);
    o.images = images;
    o.accuracy_images = accuracy_images;
    o.calib_images = calib_images;
    o.check_exact = check_exact;
    o.counts_only = counts_only;
    o.tuned = tuned;
    o.seed = seed;
    o.data.inputs = files.path(inputs, "inputs", false);
    o.data.labels = files.path(labels, "labels", true);
    o.data.mean = mean;
    o.data.stdev = stdev;
    if (!progress.is_none()) {
        if (!PyCallable_Check(progress.ptr())) throw Error("progress: expected a callable");
        o.on_progress = [progress](const std::string& stage) {
            py::gil_scoped_acquire locked;
            progress(stage);  // an exception it raises ends the evaluation with it
        };
    }
    std::string text;
    {
        py::gil_scoped_release unlocked;
        text = results_json_text(evaluate(o));
    }
    return json_loads(text);
}

// One weight matrix mapped by a scheme.
struct PyMapping {
    Mapping m;
    WeightMatrix w;
    HwConfig hw;  // the hardware it was mapped for, and is simulated and priced on
    int64_t crossbars() const { return static_cast<int64_t>(m.tiles.size()); }
    py::array_t<int64_t> reconstruct_py() const {
        const std::vector<int64_t> r = reconstruct(m);
        py::array_t<int64_t> out({w.K, w.N});
        std::copy(r.begin(), r.end(), out.mutable_data());
        return out;
    }
    // Per crossbar, its cell states as a rows x cols uint8 array.
    std::vector<py::array_t<uint8_t>> cells() const {
        std::vector<py::array_t<uint8_t>> out;
        for (const Tile& t : m.tiles) {
            py::array_t<uint8_t> a({t.rows, t.cols});
            std::copy(t.cells.begin(), t.cells.end(), a.mutable_data());
            out.push_back(std::move(a));
        }
        return out;
    }
};

PyMapping map_layer_py(const py::array_t<int64_t, py::array::c_style | py::array::forcecast>& wts,
                       const std::string& scheme_name, const py::object& hw,
                       const py::object& params) {
    if (wts.ndim() != 2) throw Error("weights: expected a 2-D array K x N");
    EvalOptions o;
    apply_hw(hw, o);
    o.scheme_params = param_assignments(params);
    const HwConfig cfg = resolve_hw(o.hw_path, o.hw_overrides);
    const Scheme& scheme = find_scheme(scheme_name);
    const SchemeContext ctx = scheme_context(scheme_name, cfg, o);
    PyMapping pm;
    pm.hw = cfg;
    pm.w = WeightMatrix("layer", wts.shape(0), wts.shape(1), cfg.w_bits);
    const int64_t lim = int64_t{1} << (cfg.w_bits - 1);
    for (int64_t i = 0; i < wts.size(); ++i) {
        const int64_t v = wts.data()[i];
        if (v < -lim || v >= lim)
            throw Error("weights: " + std::to_string(v) + " at flat index " + std::to_string(i) +
                        " lies outside the " + std::to_string(cfg.w_bits) + "-bit range");
        pm.w.w[static_cast<size_t>(i)] = static_cast<int32_t>(v);
        pm.w.keep[static_cast<size_t>(i)] = v != 0;
    }
    QuantLayer layer;
    layer.name = "layer";
    layer.weights = pm.w;
    layer.w_scale.assign(static_cast<size_t>(pm.w.N), 1.0f);
    layer.bias.assign(static_cast<size_t>(pm.w.N), 0.0f);
    {
        py::gil_scoped_release unlocked;
        pm.m = scheme.map(layer, ctx);
    }
    if (const std::string why = verify(pm.m, pm.w); !why.empty())
        throw Error(scheme_name + ": the mapping does not reconstruct the weights: " + why);
    return pm;
}

// Runs input vectors `x` (P x K, unsigned a_bits integers) bit-serially through a mapping: its
// outputs, the exact ones (x @ W), the mismatches, and the counts priced on its hardware.
py::dict simulate_py(const PyMapping& pm,
                     const py::array_t<int64_t, py::array::c_style | py::array::forcecast>& x,
                     bool ideal_adc) {
    const WeightMatrix& w = pm.w;
    if (x.ndim() != 2 || x.shape(1) != w.K)
        throw Error("x: expected P x " + std::to_string(w.K) + " input vectors");
    LayerTrace t;
    t.layer = "layer";
    t.K = w.K;
    t.N = w.N;
    t.a_bits = pm.hw.a_bits;
    t.positions = x.shape(0);
    t.inputs.resize(static_cast<size_t>(x.size()));
    const int64_t top = (int64_t{1} << pm.hw.a_bits) - 1;
    for (int64_t i = 0; i < x.size(); ++i) {
        const int64_t v = x.data()[i];
        if (v < 0 || v > top)
            throw Error("x: " + std::to_string(v) + " at flat index " + std::to_string(i) +
                        " is not an unsigned " + std::to_string(pm.hw.a_bits) + "-bit input");
        t.inputs[static_cast<size_t>(i)] = static_cast<int32_t>(v);
    }
    t.outputs.assign(static_cast<size_t>(t.positions * w.N), 0);
    for (int64_t p = 0; p < t.positions; ++p)
        for (int64_t k = 0; k < w.K; ++k)
            for (int64_t n = 0; n < w.N; ++n)
                t.outputs[static_cast<size_t>(p * w.N + n)] +=
                    t.inputs[static_cast<size_t>(p * w.K + k)] *
                    w.w[static_cast<size_t>(k * w.N + n)];
    SimOptions so;
    so.keep_outputs = true;
    so.ideal_adc = ideal_adc;
    SimResult r;
    {
        py::gil_scoped_release unlocked;
        r = simulate(pm.m, t, pm.hw, so);
    }
    py::array_t<int64_t> outputs({t.positions, w.N}), exact({t.positions, w.N});
    std::copy(r.outputs.begin(), r.outputs.end(), outputs.mutable_data());
    std::copy(t.outputs.begin(), t.outputs.end(), exact.mutable_data());
    py::dict d;
    d["outputs"] = outputs;
    d["exact"] = exact;
    d["mismatches"] = r.mismatches;
    d["counts"] = json_loads(to_json(r.stats).dump());
    d["stats"] = py::capsule(new Stats(r.stats), [](void* p) { delete static_cast<Stats*>(p); });
    return d;
}

// Energy and area of a simulation's counts on its mapping's hardware (or the config `hw`).
py::object price_py(const PyMapping& pm, const py::dict& sim, const py::object& hw) {
    if (!sim.contains("stats")) throw Error("counts: expected the dict simulate() returned");
    const auto* st = static_cast<const Stats*>(sim["stats"].cast<py::capsule>().get_pointer());
    HwConfig cfg = pm.hw;
    if (!hw.is_none()) {
        EvalOptions o;
        apply_hw(hw, o);
        cfg = resolve_hw(o.hw_path, o.hw_overrides);
    }
    const Cost c = price(*st, footprint(pm.m, pm.w), cfg);
    nlohmann::json j = to_json(c);
    j["energy_pj"] = c.total_energy_pj();
    j["area_mm2"] = c.total_area_um2() * 1e-6;
    return json_loads(j.dump());
}

// A results.json given as the dict evaluate() returned or as a file path, and its name for errors.
std::pair<nlohmann::json, std::string> results_of(const py::object& results) {
    if (py::isinstance<py::str>(results)) {
        const std::string path = results.cast<std::string>();
        return {read_results_json(path), path};
    }
    if (!py::isinstance<py::dict>(results))
        throw Error("results: expected the dict evaluate() returned or a results.json path");
    const std::string text = py::module_::import("json").attr("dumps")(results).cast<std::string>();
    try {
        return {nlohmann::json::parse(text), "results"};
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("results: not JSON: ") + e.what());
    }
}

// results re-priced with Accelergy tables (or, without them, with its own hardware).
py::object reprice_py(const py::object& results, const std::string& ert, const std::string& art,
                      const std::string& bind) {
    const auto [stored, source] = results_of(results);
    if (ert.empty() != art.empty()) throw Error("ert, art: give both or neither");
    if (!bind.empty() && ert.empty()) throw Error("bind: needs ert and art");
    PricesFor prices = [](const HwConfig& h) { return hw_prices(h); };
    if (!ert.empty()) {
        const AccelergyTables tables = load_accelergy_tables(ert, art);
        const AccelergyBinding binding = bind.empty() ? default_binding() : load_binding(bind);
        prices = [tables, binding](const HwConfig&) { return accelergy_prices(tables, binding); };
    }
    return json_loads(reprice_results(stored, source, prices).dump());
}

// The results' prices and action counts in Accelergy's formats under `dir`; the files written.
std::vector<std::string> export_accelergy_py(const py::object& results, const std::string& dir) {
    const auto [stored, source] = results_of(results);
    std::vector<std::string> written;
    for (const auto& path : write_accelergy_export(stored, source, dir))
        written.push_back(path.string());
    return written;
}

}  // namespace

PYBIND11_MODULE(sparsecim, mod) {
    mod.doc() = "sparsecim: sparse DNNs on RRAM compute-in-memory crossbars (docs/python.md)";
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });
    mod.def("evaluate", &evaluate_py,
            "Every scheme on a model, against the same dense baseline: results.json's content.",
            py::arg("model") = py::none(), py::arg("hw") = py::none(),
            py::arg("schemes") = std::vector<std::string>{}, py::arg("params") = py::none(),
            py::arg("images") = 1, py::arg("accuracy_images") = 0, py::arg("calib_images") = 256,
            py::arg("inputs") = py::none(), py::arg("labels") = py::none(),
            py::arg("mean") = std::vector<float>{}, py::arg("std") = std::vector<float>{},
            py::arg("check_exact") = false, py::arg("counts_only") = false, py::arg("tuned") = "",
            py::arg("seed") = 1, py::arg("progress") = py::none());
    py::class_<PyMapping>(mod, "Mapping")
        .def_property_readonly("crossbars", &PyMapping::crossbars)
        .def_property_readonly("cells", &PyMapping::cells)
        .def("reconstruct", &PyMapping::reconstruct_py);
    mod.def("map_layer", &map_layer_py,
            "Maps an integer K x N weight matrix with a scheme (checked to reconstruct it).",
            py::arg("weights"), py::arg("scheme") = "dense", py::arg("hw") = py::none(),
            py::arg("params") = py::none());
    mod.def("simulate", &simulate_py,
            "Input vectors (P x K, unsigned a_bits integers) bit-serially through a mapping.",
            py::arg("mapping"), py::arg("x"), py::arg("ideal_adc") = false);
    mod.def("price", &price_py, "Energy (pJ) and area of simulate()'s counts.", py::arg("mapping"),
            py::arg("counts"), py::arg("hw") = py::none());
    mod.def("reprice", &reprice_py,
            "A results.json (dict or path) re-priced with Accelergy ERT/ART tables.",
            py::arg("results"), py::arg("ert") = "", py::arg("art") = "", py::arg("bind") = "");
    mod.def("export_accelergy", &export_accelergy_py,
            "Writes a results.json's prices and per-layer action counts in Accelergy's formats.",
            py::arg("results"), py::arg("dir"));
    mod.def("schemes", [] {
        std::vector<std::string> names;
        for (const Scheme& s : scheme_registry()) names.push_back(s.name);
        return names;
    });
    mod.attr("__version__") = SPARSECIM_VERSION;
}
