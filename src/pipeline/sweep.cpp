#include "pipeline/sweep.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "hw/hw_config.hpp"
#include "results/results_json.hpp"

namespace sparsecim {

namespace {

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Appends `line` to `path` with one write() of O_APPEND (one line stays whole).
void append_line(const std::filesystem::path& path, const std::string& line) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(path.string() + ": cannot open for appending: " + std::strerror(errno));
    const ssize_t n = ::write(fd, line.data(), line.size());
    const int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(line.size()))
        throw Error(path.string() + ": cannot append: " + std::strerror(err));
}

}  // namespace

void check_sweepable(const Experiment& ex) {
    for (const auto& u : ex.units)
        if (u.options.finetune_epochs > 0)
            throw Error(ex.source.string() +
                        ": finetune_epochs: not supported by sweep (use sparsecim run)");
}

nlohmann::json sweep_record(const Experiment& ex, size_t i, nlohmann::json results,
                            const std::string& fingerprint) {
    const ExperimentUnit& u = ex.units.at(i);
    const double seconds = results.contains("timing") && results["timing"].is_object()
                               ? results["timing"].value("wall_seconds", 0.0)
                               : 0.0;
    results.erase("timing");
    if (results.contains("schemes") && results["schemes"].is_array())
        for (auto& s : results["schemes"]) s.erase("layers");
    nlohmann::json coords = nlohmann::json::object();
    for (const auto& [field, value] : u.coords) coords[field] = value;
    return {{"index", i},
            {"id", u.id},
            {"group", u.group},
            {"coords", coords},
            {"fingerprint", fingerprint},
            {"seconds", seconds},
            {"results", std::move(results)}};
}

nlohmann::json run_sweep_point(const Experiment& ex, size_t i, EvalCache& cache, int threads) {
    const ExperimentUnit& u = ex.units.at(i);
    EvalOptions opt = u.options;
    opt.threads = threads;
    opt.progress = false;
    // Without the per-layer figures, which a sweep record drops.
    return sweep_record(ex, i, results_json(evaluate(opt, &cache), false), unit_fingerprint(u));
}

SweepLog::SweepLog(const Experiment& ex, bool resume)
    : path_(ex.out / "sweep.jsonl"), records_(ex.units.size()) {
    std::string kept;
    if (resume && path_exists(path_)) {
        // Points are matched by id, so a sweep whose file gained or lost values keeps every
        // finished point that is still in it (its record renumbered).
        std::map<std::string, size_t> index_of;
        for (size_t i = 0; i < ex.units.size(); ++i) index_of[ex.units[i].id] = i;
        std::istringstream in(read_file(path_));
        std::string line;
        while (std::getline(in, line)) {
            // A partial last line (a crash mid-write) or a point the file no longer has: dropped.
            nlohmann::json rec = nlohmann::json::parse(line, nullptr, false);
            if (rec.is_discarded() || !rec.is_object() || !rec.contains("id") ||
                !rec["id"].is_string() || !rec.contains("fingerprint"))
                continue;
            const auto it = index_of.find(rec["id"].get<std::string>());
            if (it == index_of.end() || !records_[it->second].is_null() ||
                rec["fingerprint"] != unit_fingerprint(ex.units[it->second]))
                continue;
            rec["index"] = it->second;
            kept += rec.dump() + "\n";
            records_[it->second] = std::move(rec);
        }
    }
    write_file_atomic(path_, kept);
}

size_t SweepLog::done_count() const {
    const std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& r : records_) n += !r.is_null();
    return n;
}

bool SweepLog::append(nlohmann::json rec) {
    const std::lock_guard<std::mutex> lock(mu_);
    const size_t i = rec.at("index").get<size_t>();
    if (!records_.at(i).is_null()) return false;
    append_line(path_, rec.dump() + "\n");
    records_[i] = std::move(rec);
    return true;
}

std::vector<nlohmann::json> SweepLog::take_records() {
    const std::lock_guard<std::mutex> lock(mu_);
    std::vector<nlohmann::json> out;
    for (auto& r : records_)
        if (!r.is_null()) out.push_back(std::move(r));
    records_.assign(records_.size(), nullptr);
    return out;
}

SweepProgress::SweepProgress(size_t total, size_t done)
    : total_(total), done_(done), started_with_(done), on_(::isatty(2)), t0_(now_seconds()) {}

void SweepProgress::tick(const std::string& id) {
    const std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    if (!on_) return;
    const double dt = now_seconds() - t0_;
    const double rate = dt > 0 ? static_cast<double>(done_ - started_with_) / dt : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0.0;
    std::fprintf(stderr, "\r\033[Ksweep: %zu/%zu points, %.2f points/s, ETA %.0f s (%s)", done_,
                 total_, rate, eta, id.c_str());
}

void SweepProgress::finish() const {
    if (on_) std::fprintf(stderr, "\r\033[K");
}

void split_threads(int threads, size_t points, int& workers, int& per_point) {
    const int budget = resolve_threads(threads);
    workers = static_cast<int>(std::max<size_t>(1, std::min<size_t>(budget, points)));
    per_point = std::max(1, budget / workers);
}

PointBoard::PointBoard(const Experiment& ex, const SweepLog& log) : log_(log) {
    std::map<std::string, size_t> group_of;
    for (size_t i = 0; i < ex.units.size(); ++i) {
        if (log.done(i)) continue;
        std::string key = ex.units[i].group;
        for (const auto& [field, value] : ex.units[i].coords)
            if (!is_cost_only_key(field)) key += '\n' + field + '=' + value;
        auto [it, added] = group_of.emplace(key, groups_.size());
        if (added) groups_.emplace_back();
        groups_[it->second].push_back(i);
    }
}

size_t PointBoard::next(int who, bool stragglers) {
    const std::lock_guard<std::mutex> lock(mu_);
    size_t pick = std::string::npos;
    auto from_front = [&](size_t g) {
        pick = groups_[g].front();
        groups_[g].pop_front();
        current_[who] = g;
    };
    auto mine = current_.find(who);
    if (mine != current_.end() && !groups_[mine->second].empty()) {
        from_front(mine->second);
    } else if (fresh_ < groups_.size()) {
        from_front(fresh_++);
    } else {
        size_t most = 0;
        for (size_t g = 0; g < groups_.size(); ++g)
            if (groups_[g].size() > most) {
                most = groups_[g].size();
                pick = g;
            }
        if (most > 0) {
            const size_t g = pick;
            pick = groups_[g].back();
            groups_[g].pop_back();
        } else if (stragglers) {
            size_t fewest = SIZE_MAX;
            for (const auto& [i, holders] : out_)
                if (!holders.empty() && !holders.count(who) && !log_.done(i) &&
                    holders.size() < fewest) {
                    pick = i;
                    fewest = holders.size();
                }
        }
    }
    if (pick != std::string::npos) out_[pick].insert(who);
    return pick;
}

void PointBoard::release(size_t i, int who) {
    const std::lock_guard<std::mutex> lock(mu_);
    out_[i].erase(who);
}

void run_sweep_threads(const Experiment& ex, SweepLog& log, const SweepOptions& opt,
                       EvalCache& cache) {
    const size_t todo = ex.units.size() - log.done_count();
    int workers = 1, per_point = 1;
    split_threads(opt.threads, todo, workers, per_point);
    SweepProgress progress(ex.units.size(), ex.units.size() - todo);
    PointBoard board(ex, log);
    parallel_for(workers, workers, [&](int64_t w) {
        for (size_t i; (i = board.next(static_cast<int>(w))) != std::string::npos;) {
            EvalCache own;
            log.append(run_sweep_point(ex, i, opt.reuse ? cache : own, per_point));
            board.release(i, static_cast<int>(w));
            progress.tick(ex.units[i].id);
        }
    });
    progress.finish();
}

void begin_resumable_sweep(const Experiment& ex, bool resume, const std::string& again) {
    install_interrupt_cleanup(
        "sparsecim: interrupted; the finished points are kept in sweep.jsonl, continue with: " +
        again + " --resume\n");
    if (resume) remove_stale_temp_files(ex.out);
}

std::vector<std::string> axis_fields(const Experiment& ex) {
    std::vector<std::string> out;
    for (const SweepAxis& a : ex.axes) out.push_back(a.field);
    return out;
}

int sweep_exit_code(const std::vector<nlohmann::json>& records) {
    for (const auto& rec : records)
        for (const auto& s : rec["results"]["schemes"])
            if (s["ideal_mismatches"].is_number() && s["ideal_mismatches"].get<int64_t>() != 0)
                return 1;
    return 0;
}

}  // namespace sparsecim
