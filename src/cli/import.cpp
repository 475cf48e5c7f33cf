// `sparsecim import`: an ONNX model's weight layers as a table.
#include "cli/commands.hpp"

#include <iostream>

#include "import/onnx_io.hpp"
#include "import/summary.hpp"
#include "pipeline/evaluate.hpp"
#include "report/text_table.hpp"

namespace sparsecim::cli {

namespace {

int cmd_import(const std::string& file, const std::vector<std::string>& input_shapes) {
    const Graph g = load_model(file, 1, nullptr, true, input_shapes);
    const auto layers = summarize(g);
    TextTable t;
    t.header = {"layer", "op", "weight shape", "K x N", "MACs/image", "weight sparsity"};
    int64_t macs = 0, weights = 0, zeros = 0;
    for (const auto& l : layers) {
        t.rows.push_back(
            {l.name, l.op, shape_str(l.weight_shape),
             std::to_string(l.K) + " x " + std::to_string(l.N), fmt_int(l.macs),
             fmt_pct(l.weights ? static_cast<double>(l.zeros) / static_cast<double>(l.weights)
                               : 0.0)});
        macs += l.macs;
        weights += l.weights;
        zeros += l.zeros;
    }
    t.rows.push_back(
        {"total (" + std::to_string(layers.size()) + " weight layers)", "",
         fmt_int(weights) + " weights", "", fmt_int(macs),
         fmt_pct(weights ? static_cast<double>(zeros) / static_cast<double>(weights) : 0.0)});
    std::cout << file << ": " << g.nodes.size() << " nodes, input "
              << (g.inputs.empty() ? "?" : shape_str(g.inputs[0].shape)) << "\n"
              << t.render();
    if (const std::string why = why_not_executable(g); !why.empty())
        std::cout << "inference cannot run on Fashion-MNIST (" << why
                  << "):\nevaluate maps these layers with modelled activations "
                     "(docs/model-import.md)\n";
    return 0;
}

}  // namespace

Command add_import(CLI::App& app) {
    auto file = std::make_shared<std::string>();
    auto shapes = std::make_shared<std::vector<std::string>>();
    auto* c = app.add_subcommand("import", "Import an ONNX model and print its weight layers");
    c->add_option("file", *file, "ONNX model file or zoo:NAME (seed 1)")->required();
    add_input_shape_option(c, *shapes);
    return {c, [file, shapes] { return cmd_import(*file, *shapes); }};
}

}  // namespace sparsecim::cli
