// `sparsecim accuracy`: float and int8 top-1 of a model on Fashion-MNIST or the user's images.
#include "cli/commands.hpp"

#include <iostream>

#include "pipeline/evaluate.hpp"
#include "report/text_table.hpp"

namespace sparsecim::cli {

namespace {

int cmd_accuracy(const std::string& model, int64_t images, int64_t calib, uint64_t seed,
                 const std::string& calibration, const DataSource& data,
                 const std::vector<std::string>& input_shapes) {
    EvalOptions opt;
    opt.data = data;
    opt.input_shapes = input_shapes;
    opt.model = model;
    opt.images = 1;
    opt.accuracy_images = images;
    opt.calib_images = calib;
    opt.seed = seed;
    opt.quant.calibration = calibration;
    opt.schemes = {"dense"};
    opt.activations = "traces";  // accuracy needs the graph to run
    opt.progress = true;
    const EvalResult r = evaluate(opt);
    std::cout << "model: " << r.model << "\n";
    if (!r.model_note.empty()) std::cout << "note:  " << r.model_note << "\n";
    std::cout << "test images: " << r.options.accuracy_images << " of " << r.data << "\n"
              << "float top-1: " << fmt_pct(r.float_accuracy.value_or(0.0)) << "\n"
              << "int8  top-1: " << fmt_pct(r.schemes.at(0).accuracy.value_or(0.0)) << "\n";
    return 0;
}

}  // namespace

Command add_accuracy(CLI::App& app) {
    struct Args {
        std::string model, calibration = "max";
        int64_t images = 10000, calib = 256;
        uint64_t seed = 1;
        DataSource data;
        std::vector<std::string> input_shapes;
    };
    auto a = std::make_shared<Args>();
    auto* c =
        app.add_subcommand("accuracy", "Float and int8 top-1 on Fashion-MNIST or your own images");
    c->add_option("--model", a->model, "ONNX file or zoo:NAME (default: the bundled model)");
    c->add_option("--images", a->images, "test images (max 10000)");
    c->add_option("--calib-images", a->calib, "training images for calibration");
    c->add_option("--calibration", a->calibration, "max | percentile");
    c->add_option("--seed", a->seed, "seed for zoo models");
    add_data_options(c, a->data);
    add_input_shape_option(c, a->input_shapes);
    return {c, [a] {
                return cmd_accuracy(a->model, a->images, a->calib, a->seed, a->calibration, a->data,
                                    a->input_shapes);
            }};
}

}  // namespace sparsecim::cli
