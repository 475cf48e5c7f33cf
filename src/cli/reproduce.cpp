// `sparsecim reproduce`: the source documents' claims beside the figures of finished runs.
#include <iostream>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "pipeline/experiment.hpp"
#include "report/reproduction.hpp"

namespace sparsecim::cli {

namespace {

int cmd_reproduce(const std::vector<std::string>& files, const std::string& out) {
    std::vector<Experiment> exps;
    for (const auto& f : files) exps.push_back(load_experiment(f));
    const std::string md = reproduction_markdown(exps);
    if (out.empty()) {
        std::cout << md;
    } else {
        write_file_atomic(out, md);
        std::cout << "wrote " << out << "\n";
    }
    return 0;
}

}  // namespace

Command add_reproduce(CLI::App& app) {
    struct Args {
        std::vector<std::string> files;
        std::string out;
    };
    auto a = std::make_shared<Args>();
    auto* rep = app.add_subcommand(
        "reproduce", "Set the source documents' claims beside the figures of finished runs");
    rep->add_option("experiments", a->files, "experiment YAML files already run")->required();
    rep->add_option("--out", a->out, "write the Markdown here (default: stdout)");
    return {rep, [a] { return cmd_reproduce(a->files, a->out); }};
}

}  // namespace sparsecim::cli
