// `sparsecim run`: every unit of an experiment file, each reported like `evaluate`.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "pipeline/experiment.hpp"
#include "pipeline/sweep.hpp"
#include "report/sweep_report.hpp"

namespace sparsecim::cli {

namespace {

// Runs every unit of an experiment, recording each in OUT/experiment.json as soon as its report
// files are written; with `resume`, units an earlier (interrupted) run finished are skipped.
int cmd_run(const std::string& file, const std::string& out, bool json, bool resume) {
    const Experiment ex = load_experiment(file, out);
    install_interrupt_cleanup(
        "sparsecim: interrupted; the finished units are kept, continue with: "
        "sparsecim run " +
        file + (out.empty() ? "" : " --out " + out) + " --resume\n");
    if (resume) {
        remove_stale_temp_files(ex.out);
        for (const auto& u : ex.units) remove_stale_temp_files(u.out);
    }
    RunLog log(ex, resume);
    int rc = 0;
    std::vector<std::string> fingerprints;
    for (size_t i = 0; i < ex.units.size(); ++i) {
        const ExperimentUnit& u = ex.units[i];
        const std::string& fingerprint = fingerprints.emplace_back(unit_fingerprint(u));
        int unit_rc = 0;
        if (resume && log.finished(i, fingerprint, unit_rc)) {
            std::fprintf(stderr, "run %s: unit %zu/%zu %s: finished earlier, kept (--resume)\n",
                         ex.name.c_str(), i + 1, ex.units.size(), u.id.c_str());
            if (json) std::cout << read_file(u.out / "results.json");
        } else {
            std::fprintf(stderr, "run %s: unit %zu/%zu %s\n", ex.name.c_str(), i + 1,
                         ex.units.size(), u.id.c_str());
            EvalOptions opt = u.options;
            opt.progress = true;
            attach_finetuner(opt);
            unit_rc = report_run(evaluate(opt), u.out, json);
        }
        rc = std::max(rc, unit_rc);
        log.finish(i, fingerprint, unit_rc);
    }
    if (!ex.axes.empty()) {
        // The same report `sparsecim sweep` writes, from the units' results.json.
        std::vector<nlohmann::json> records;
        for (size_t i = 0; i < ex.units.size(); ++i) {
            const std::filesystem::path results = ex.units[i].out / "results.json";
            nlohmann::json j = nlohmann::json::parse(read_file(results), nullptr, false);
            if (j.is_discarded() || !j.is_object() || !j["schemes"].is_array())
                throw Error(results.string() + ": not a results.json");
            records.push_back(sweep_record(ex, i, std::move(j), fingerprints[i]));
        }
        std::cout << "sweep: "
                  << write_sweep_results(ex.name, axis_fields(ex), records, ex.out).string()
                  << "\n";
    }
    return rc;
}

}  // namespace

Command add_run(CLI::App& app) {
    struct Args {
        std::string file, out;
        bool json = false, resume = false;
    };
    auto a = std::make_shared<Args>();
    auto* run = app.add_subcommand("run", "Run an experiment file (models x hardware x schemes)");
    run->add_option("experiment", a->file, "experiment YAML (see docs/experiments.md)")->required();
    run->add_option("--out", a->out, "output folder (default: the file's `out`)");
    run->add_flag("--json", a->json, "print each unit's results.json instead of its table");
    run->add_flag("--resume", a->resume,
                  "keep the units an earlier, interrupted run of the same file finished "
                  "(OUT/experiment.json) and run only the rest");
    return {run, [a] { return cmd_run(a->file, a->out, a->json, a->resume); }};
}

}  // namespace sparsecim::cli
