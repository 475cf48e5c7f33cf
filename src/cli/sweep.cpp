// `sparsecim sweep`: a design-space sweep on threads or MPI ranks.
#include <chrono>
#include <string>

#include "cli/commands.hpp"
#include "pipeline/experiment.hpp"
#include "pipeline/sweep.hpp"
#ifdef SPARSECIM_HAVE_MPI
#include "pipeline/sweep_mpi.hpp"
#endif
#include "report/sweep_report.hpp"

namespace sparsecim::cli {

namespace {

// Runs every point of a sweep file through one shared cache, on a thread pool or (started by
// mpirun with several ranks, in an MPI build) over the ranks; writes sweep.jsonl as points
// finish, then sweep.csv and sweep.html.
int cmd_sweep(const std::string& file, const std::string& out, SweepOptions opt) {
    const std::string again = "sparsecim sweep " + file + (out.empty() ? "" : " --out " + out);
#ifdef SPARSECIM_HAVE_MPI
    if (mpi_launched()) return run_sweep_mpi(file, out, opt, again, finish_sweep);
#endif
    const Experiment ex = load_experiment(file, out);
    check_sweepable(ex);
    begin_resumable_sweep(ex, opt.resume, again);
    const auto t0 = std::chrono::steady_clock::now();
    SweepLog log(ex, opt.resume);
    const size_t kept = log.done_count();
    EvalCache cache;
    run_sweep_threads(ex, log, opt, cache);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int workers = 1, per_point = 1;
    split_threads(opt.threads, ex.units.size() - kept, workers, per_point);
    return finish_sweep(ex, log, kept, s,
                        std::to_string(workers) + " at once" + (opt.reuse ? "" : ", no reuse"),
                        cache);
}

}  // namespace

Command add_sweep(CLI::App& app) {
    struct Args {
        std::string file, out;
        SweepOptions opt;
        bool no_reuse = false;
    };
    auto a = std::make_shared<Args>();
    auto* swp = app.add_subcommand(
        "sweep", "Run a design-space sweep (axes over any config field), in parallel or over MPI");
    swp->add_option("sweep", a->file, "sweep YAML (see docs/sweeps.md)")->required();
    swp->add_option("--out", a->out, "output folder (default: the file's `out`)");
    swp->add_option("--threads", a->opt.threads,
                    "threads in all (0: all cores); that many points run at once");
    swp->add_flag("--resume", a->opt.resume,
                  "keep the points an earlier run finished (OUT/sweep.jsonl), run the rest");
    swp->add_flag("--no-reuse", a->no_reuse,
                  "share nothing between points (to measure what reuse saves)");
    return {swp, [a] {
                a->opt.reuse = !a->no_reuse;
                return cmd_sweep(a->file, a->out, a->opt);
            }};
}

}  // namespace sparsecim::cli
