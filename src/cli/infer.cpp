// `sparsecim infer`: a model's outputs on the user's own inputs (.npy), from the float executor or
// the int8 pipeline, written as .npy: how a user checks that import is faithful (issue 23 item 3).
#include <algorithm>
#include <cstdio>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "infer/int_infer.hpp"
#include "model/dataset.hpp"
#include "pipeline/evaluate.hpp"
#include "quant/ptq.hpp"

namespace sparsecim::cli {

namespace {

struct InferArgs {
    std::string model, inputs, calib, out;
    std::vector<float> mean, stdev;
    std::vector<std::string> input_shapes;
    bool int8 = false;
    int64_t calib_images = 256;
    uint64_t seed = 1;
};

// The images of a .npy file as the model's input tensor (uint8 scaled to [0, 1], then
// normalised per channel), checked against the model's input shape.
Tensor load_inputs(const std::string& path, const Graph& g, const InferArgs& a) {
    const Tensor x = npy_images(read_npy(path), path, a.mean, a.stdev);
    const Shape& want = g.inputs.at(0).shape;
    bool fits = x.shape.size() == want.size() && !x.shape.empty() && x.shape[0] > 0;
    for (size_t d = 1; fits && d < want.size(); ++d) fits = want[d] < 0 || want[d] == x.shape[d];
    if (!fits)
        throw Error(path + ": shape " + shape_str(x.shape) + " does not fit the model's input '" +
                    g.inputs[0].name + "' " + shape_str(want) + " (N images first)");
    return x;
}

int cmd_infer(const InferArgs& a) {
    const Graph g = load_model(a.model, a.seed, nullptr, true, a.input_shapes);
    if (g.inputs.size() != 1)
        throw Error(a.model + ": the model has " + std::to_string(g.inputs.size()) +
                    " inputs; infer feeds one");
    const Tensor x = load_inputs(a.inputs, g, a);
    QuantModel qm;
    if (a.int8) {
        // Calibration: the first --calib-images of --calib, else of the inputs themselves.
        const Tensor all = a.calib.empty() ? x : load_inputs(a.calib, g, a);
        qm =
            quantize(g, slice_rows(all, 0, std::min(a.calib_images, all.shape[0])), QuantOptions{});
    }
    constexpr int64_t kBatch = 32;
    Shape out_shape;
    std::vector<float> out;
    for (int64_t b = 0; b < x.shape[0]; b += kBatch) {
        const Tensor batch = slice_rows(x, b, std::min(kBatch, x.shape[0] - b));
        const Tensor y = a.int8 ? run_int(qm, batch) : run_float(g, batch);
        if (out_shape.empty()) out_shape = y.shape;
        out.insert(out.end(), y.data.begin(), y.data.end());
    }
    out_shape[0] = x.shape[0];
    write_file_atomic(a.out,
                      npy_bytes(std::vector<int64_t>(out_shape.begin(), out_shape.end()), out));
    std::printf("%s: %s outputs of %lld input(s), shape %s\n", a.out.c_str(),
                a.int8 ? "int8 pipeline" : "float", static_cast<long long>(x.shape[0]),
                shape_str(out_shape).c_str());
    return 0;
}

}  // namespace

Command add_infer(CLI::App& app) {
    auto a = std::make_shared<InferArgs>();
    auto* c = app.add_subcommand(
        "infer",
        "A model's outputs on your inputs (.npy in, .npy out): float, or the int8 "
        "pipeline with --int8");
    c->add_option("--model", a->model, "ONNX file or zoo:NAME")->required();
    add_input_shape_option(c, a->input_shapes);
    c->add_option("--inputs", a->inputs,
                  "inputs [N, ...] as .npy: float32/float64, or uint8 (scaled to [0, 1])")
        ->required();
    c->add_option("--out", a->out, "where the outputs go (.npy, float32)")->required();
    c->add_flag("--int8", a->int8, "the int8 pipeline's outputs (per-channel weights, calibrated)");
    c->add_option("--calib", a->calib,
                  "calibration inputs for --int8 (.npy; default: the inputs themselves)");
    c->add_option("--calib-images", a->calib_images, "calibration images for --int8")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
    c->add_option("--mean", a->mean, "per-channel mean subtracted (comma-separated, or one)")
        ->delimiter(',');
    c->add_option("--std", a->stdev, "per-channel std divided by (comma-separated, or one)")
        ->delimiter(',');
    c->add_option("--seed", a->seed, "seed for zoo models");
    return {c, [a] { return cmd_infer(*a); }};
}

}  // namespace sparsecim::cli
