// The MPI sweep: a dispatcher on rank 0's main thread (the only thread calling MPI), a worker
// thread on rank 0, and a worker loop on every other rank. Messages: a worker sends kReady once,
// then kResult (a record's JSON text, which also asks for the next point) or kFailed (an error
// message); rank 0 answers kWork (a point index) or kStop.
#include "pipeline/sweep_mpi.hpp"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <set>
#include <thread>

#include "core/error.hpp"

namespace sparsecim {

namespace {

enum Tag : int { kReady = 1, kResult = 2, kFailed = 3, kWork = 4, kStop = 5 };

void send_text(const std::string& s, int to, int tag) {
    MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

std::string recv_text(const MPI_Status& probed) {
    int n = 0;
    MPI_Get_count(&probed, MPI_CHAR, &n);
    std::string s(static_cast<size_t>(n), '\0');
    MPI_Recv(s.data(), n, MPI_CHAR, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    return s;
}

// For tests of a dying rank: SPARSECIM_SWEEP_TEST_DIE="RANK:N" makes rank RANK exit abruptly when
// handed its N-th point, before running it.
bool should_die(int rank, int handed) {
    const char* v = std::getenv("SPARSECIM_SWEEP_TEST_DIE");
    if (!v) return false;
    int r = -1, n = -1;
    return std::sscanf(v, "%d:%d", &r, &n) == 2 && r == rank && n == handed;
}

void worker(const Experiment& ex, int rank, int threads) {
    EvalCache cache;
    send_text("", 0, kReady);
    for (int handed = 1;; ++handed) {
        MPI_Status st;
        long long index = 0;
        MPI_Recv(&index, 1, MPI_LONG_LONG, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == kStop) return;
        if (should_die(rank, handed)) ::_exit(3);
        try {
            const auto rec = run_sweep_point(ex, static_cast<size_t>(index), cache, threads);
            send_text(rec.dump(), 0, kResult);
        } catch (const std::exception& e) {
            send_text(ex.units.at(static_cast<size_t>(index)).id + ": " + e.what(), 0, kFailed);
        }
    }
}

}  // namespace

bool mpi_launched() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
        if (std::getenv(v)) return true;
    return false;
}

int run_sweep_mpi(const std::string& file, const std::string& out, const SweepOptions& opt,
                  const std::string& again, const SweepFinishFn& finish) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    struct Finalize {
        ~Finalize() { MPI_Finalize(); }
    } finalize;
    // Every rank reads the same file, so a bad one fails everywhere; rank 0 alone reports it.
    Experiment ex;
    try {
        ex = load_experiment(file, out);
        check_sweepable(ex);
    } catch (const std::exception&) {
        if (rank == 0) throw;
        return 2;
    }
    // Each rank runs one point at a time; the threads a rank may use (--threads, else its share
    // of the cores) go to that point.
    const int threads = opt.threads > 0 ? opt.threads : 1;
    if (rank != 0) {
        worker(ex, rank, threads);
        return 0;
    }

    begin_resumable_sweep(ex, opt.resume, again);
    const auto t0 = std::chrono::steady_clock::now();
    SweepLog log(ex, opt.resume);
    const size_t kept = log.done_count();
    PointBoard board(ex, log);
    std::mutex failure_mu;
    std::string local_failure;
    SweepProgress progress(ex.units.size(), kept);
    auto record = [&](nlohmann::json rec) {
        const std::string id = rec.value("id", "");
        if (log.append(std::move(rec))) progress.tick(id);
    };
    auto all_done = [&] { return log.done_count() == ex.units.size(); };

    // Rank 0's own worker: new points first, then points still out at other ranks.
    EvalCache cache;
    std::thread local([&] {
        while (!all_done()) {
            {
                const std::lock_guard<std::mutex> lock(failure_mu);
                if (!local_failure.empty()) return;
            }
            const size_t i = board.next(0, true);
            if (i == std::string::npos) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                continue;
            }
            try {
                record(run_sweep_point(ex, i, cache, threads));
            } catch (const std::exception& e) {
                const std::lock_guard<std::mutex> lock(failure_mu);
                local_failure = ex.units[i].id + ": " + e.what();
            }
            board.release(i, 0);
        }
    });

    std::vector<long long> holding(static_cast<size_t>(size), -1);  // point each rank runs
    std::set<int> stopped;
    auto hand_out = [&](int r) {
        const size_t i = all_done() ? std::string::npos : board.next(r, true);
        if (i == std::string::npos) {
            long long none = -1;
            MPI_Send(&none, 1, MPI_LONG_LONG, r, kStop, MPI_COMM_WORLD);
            stopped.insert(r);
            return;
        }
        long long index = static_cast<long long>(i);
        holding[static_cast<size_t>(r)] = index;
        MPI_Send(&index, 1, MPI_LONG_LONG, r, kWork, MPI_COMM_WORLD);
    };
    std::string failure;
    // Until every point is done (every message is answered at once, so a rank not stopped by then
    // runs a point already done elsewhere, has not checked in yet, or is dead) or all are stopped.
    double longest_point = 0.0;
    while (static_cast<int>(stopped.size()) < size - 1 && !all_done()) {
        {
            const std::lock_guard<std::mutex> lock(failure_mu);
            failure = local_failure;
        }
        if (!failure.empty()) break;
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS)
            break;
        if (!flag) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            continue;
        }
        const std::string text = recv_text(st);
        const int r = st.MPI_SOURCE;
        const long long held = holding[static_cast<size_t>(r)];
        holding[static_cast<size_t>(r)] = -1;
        if (held >= 0) board.release(static_cast<size_t>(held), r);
        if (st.MPI_TAG == kFailed) {
            failure = text;
            break;
        }
        if (st.MPI_TAG == kResult) {
            const nlohmann::json rec = nlohmann::json::parse(text, nullptr, false);
            if (rec.is_discarded() || !rec.contains("index")) {
                failure = "sweep: rank " + std::to_string(r) + " sent a malformed record";
                break;
            }
            longest_point = std::max(longest_point, rec.value("seconds", 0.0));
            try {
                record(rec);
            } catch (const std::exception& e) {
                failure = e.what();
                break;
            }
        }
        hand_out(r);
    }
    {
        const std::lock_guard<std::mutex> lock(failure_mu);
        if (local_failure.empty() && !failure.empty()) local_failure = failure;
    }
    local.join();
    progress.finish();
    if (!failure.empty()) {
        std::fprintf(stderr, "sparsecim: error: %s\n", failure.c_str());
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int rc = 2;
    try {
        rc = finish(ex, log, kept, s, std::to_string(size) + " MPI ranks", cache);
    } catch (const std::exception& e) {
        // Other ranks may still wait for an answer: end the job rather than hang in finalize.
        std::fprintf(stderr, "sparsecim: error: %s\n", e.what());
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    std::fflush(stdout);
    // The ranks still out run points already done: stop each as it checks in. One that does not
    // within twice the longest point (+ 10 s) is taken for dead, and the job is ended.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration<double>(2.0 * longest_point + 10.0);
    while (static_cast<int>(stopped.size()) < size - 1 &&
           std::chrono::steady_clock::now() < deadline) {
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS)
            break;
        if (!flag) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            continue;
        }
        recv_text(st);
        long long none = -1;
        MPI_Send(&none, 1, MPI_LONG_LONG, st.MPI_SOURCE, kStop, MPI_COMM_WORLD);
        stopped.insert(st.MPI_SOURCE);
    }
    if (static_cast<int>(stopped.size()) < size - 1) {
        std::string silent;
        for (int r = 1; r < size; ++r)
            if (!stopped.count(r)) silent += (silent.empty() ? "" : ", ") + std::to_string(r);
        std::fprintf(stderr,
                     "sweep: every point is done, but rank(s) %s did not answer (dead?); ending "
                     "the job\n",
                     silent.c_str());
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, rc);
    }
    return rc;
}

}  // namespace sparsecim
