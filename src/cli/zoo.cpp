// `sparsecim zoo`: a built-in architecture written as ONNX.
#include <iostream>

#include "cli/commands.hpp"
#include "import/onnx_io.hpp"
#include "model/zoo.hpp"

namespace sparsecim::cli {

Command add_zoo(CLI::App& app) {
    struct Args {
        std::string name, out;
        uint64_t seed = 1;
    };
    auto a = std::make_shared<Args>();
    auto* zoo = app.add_subcommand("zoo", "Write a built-in architecture as ONNX");
    zoo->add_option("name", a->name, "architecture")->required();
    zoo->add_option("--out", a->out, "output .onnx file")->required();
    zoo->add_option("--seed", a->seed, "weight seed");
    return {zoo, [a] {
                export_onnx(make_zoo_model(a->name, a->seed), a->out);
                std::cout << "wrote " << a->out << "\n";
                return 0;
            }};
}

}  // namespace sparsecim::cli
