// `sparsecim price`: a stored results.json re-priced with Accelergy's reference tables (or its own
// hardware, as a check), and its prices and counts exported in Accelergy's formats.
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "report/text_table.hpp"
#include "results/reprice.hpp"

namespace sparsecim::cli {

namespace {

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string ratio_text(const nlohmann::json& r, const char* key) {
    if (!r.is_object() || !r.contains(key) || r.at(key).is_null()) return "-";
    return fixed(r.at(key).get<double>(), 2) + "x";
}

}  // namespace

Command add_price(CLI::App& app) {
    struct Args {
        std::string results, ert, art, bind, out, export_dir;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand(
        "price", "Re-price a results.json's stored counts with Accelergy ERT/ART tables");
    cmd->add_option("results", a->results, "results.json of an evaluation")->required();
    cmd->add_option("--ert", a->ert, "Accelergy Energy Reference Table (pJ per action)");
    cmd->add_option("--art", a->art, "Accelergy Area Reference Table (um^2 per instance)");
    cmd->add_option("--bind", a->bind,
                    "YAML binding sparsecim's events and units to the tables' components "
                    "(default: CiMLoop's names, docs/accelergy.md)");
    cmd->add_option("--out", a->out, "write the re-priced results.json here");
    cmd->add_option("--export-accelergy", a->export_dir,
                    "write the results' own prices (ERT, ART, bindings) and per-layer action "
                    "counts in Accelergy's formats into this directory");
    return {cmd, [a] {
                if (a->ert.empty() != a->art.empty())
                    throw Error(std::string(a->ert.empty() ? "--ert" : "--art") +
                                ": missing (--ert and --art go together)");
                if (!a->bind.empty() && a->ert.empty())
                    throw Error("--bind: needs --ert and --art");
                const nlohmann::json stored = read_results_json(a->results);
                PricesFor prices = [](const HwConfig& hw) { return hw_prices(hw); };
                std::string with = "its own hardware";
                if (!a->ert.empty()) {
                    const AccelergyTables tables = load_accelergy_tables(a->ert, a->art);
                    const AccelergyBinding binding =
                        a->bind.empty() ? default_binding() : load_binding(a->bind);
                    prices = [tables, binding](const HwConfig&) {
                        return accelergy_prices(tables, binding);
                    };
                    with = a->ert + " + " + a->art;
                }
                const nlohmann::json priced = reprice_results(stored, a->results, prices);
                if (!a->export_dir.empty())
                    write_accelergy_export(stored, a->results, a->export_dir);
                if (!a->out.empty()) write_file_atomic(a->out, priced.dump(2) + "\n");

                TextTable t;
                t.header = {"entry",    "energy pJ (stored)", "energy pJ", "area mm2 (stored)",
                            "area mm2", "energy eff",         "area eff"};
                for (const char* list : {"schemes", "baselines"})
                    for (size_t i = 0; i < priced.at(list).size(); ++i) {
                        const auto& s = stored.at(list)[i];
                        const auto& p = priced.at(list)[i];
                        const nlohmann::json vs = p.value("vs_dense", nlohmann::json());
                        t.rows.push_back({p.at("name").get<std::string>(),
                                          fmt_sci(s.at("energy_pj").get<double>()),
                                          fmt_sci(p.at("energy_pj").get<double>()),
                                          fixed(s.at("area_mm2").get<double>(), 4),
                                          fixed(p.at("area_mm2").get<double>(), 4),
                                          ratio_text(vs, "energy_efficiency"),
                                          ratio_text(vs, "area_efficiency")});
                    }
                std::cout << a->results << " re-priced with " << with << ":\n" << t.render();
                if (!a->out.empty()) std::cout << "results: " << a->out << "\n";
                if (!a->export_dir.empty())
                    std::cout << "accelergy: " << a->export_dir << "/ (ERT.yaml, ART.yaml, "
                              << "bindings.yaml, action_counts/)\n";
                return 0;
            }};
}

}  // namespace sparsecim::cli
