// `sparsecim sweep` over MPI ranks (built with -DSPARSECIM_MPI=ON when MPI is found; only this file
// and sweep_mpi.cpp see MPI). Rank 0 hands out one point at a time to whichever rank asks, runs
// points on its own meanwhile, appends every record to sweep.jsonl and writes the report; when
// no new point is left it re-runs points still out elsewhere (a rank that died or hangs loses
// nothing; the first record of a point wins, so none is written twice). docs/sweeps.md.
#pragma once

#include <functional>
#include <string>

#include "pipeline/experiment.hpp"
#include "pipeline/sweep.hpp"

namespace sparsecim {

// Whether this process was started by mpirun/mpiexec (an MPI launcher's environment).
bool mpi_launched();

// Runs `file` (loaded on every rank, with `out` overriding its folder) over the ranks; returns the
// exit code (rank 0: the sweep's, others 0). An error on rank 0 is thrown; other ranks stay
// silent about errors every rank meets (the same bad file) and return 2.
// `finish` ends the sweep on rank 0 once every point is done (the caller writes the report:
// report/sweep_report.hpp's finish_sweep) and returns its exit code.
using SweepFinishFn =
    std::function<int(const Experiment& ex, SweepLog& log, size_t kept, double seconds,
                      const std::string& how, const EvalCache& cache)>;
int run_sweep_mpi(const std::string& file, const std::string& out, const SweepOptions& opt,
                  const std::string& again, const SweepFinishFn& finish);

}  // namespace sparsecim
