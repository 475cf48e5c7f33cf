// `sparsecim params`: the hardware fields and every scheme's parameters, from their tables.
#include <iostream>

#include "cli/commands.hpp"
#include "hw/hw_config.hpp"
#include "report/text_table.hpp"
#include "schemes/scheme.hpp"

namespace sparsecim::cli {

namespace {

// One table of `sparsecim params`: aligned text, or a Markdown table with --markdown.
std::string params_table(const std::string& title, const std::vector<ParamInfo>& rows,
                         bool markdown) {
    const std::vector<std::string> header = {"key",     "type",  "unit",
                                             "default", "range", "description"};
    auto cells = [](const ParamInfo& p) {
        return std::vector<std::string>{p.key,          p.type,  p.unit,
                                        p.default_text, p.range, p.description};
    };
    if (!markdown) {
        // Every column left-aligned (TextTable right-aligns numbers, which splits the default
        // and range columns between two edges).
        std::vector<std::vector<std::string>> lines = {header};
        for (const ParamInfo& p : rows) lines.push_back(cells(p));
        std::vector<size_t> width(header.size(), 0);
        for (const auto& l : lines)
            for (size_t i = 0; i < l.size(); ++i) width[i] = std::max(width[i], l[i].size());
        std::string out = title + "\n";
        for (const auto& l : lines) {
            std::string line;
            for (size_t i = 0; i < l.size(); ++i)
                line +=
                    i + 1 < l.size() ? l[i] + std::string(width[i] - l[i].size() + 2, ' ') : l[i];
            while (!line.empty() && line.back() == ' ') line.pop_back();
            out += line + "\n";
        }
        return out;
    }
    auto md_row = [](const std::vector<std::string>& c) {
        std::string line = "|";
        for (const std::string& cell : c) {
            std::string esc;
            for (char ch : cell) esc += ch == '|' ? std::string("\\|") : std::string(1, ch);
            line += " " + esc + " |";
        }
        return line + "\n";
    };
    std::string out = "## " + title + "\n\n" + md_row(header) + "|";
    for (size_t i = 0; i < header.size(); ++i) out += "---|";
    out += "\n";
    for (const ParamInfo& p : rows) out += md_row(cells(p));
    return out;
}

// One scheme's parameters; "" when it has none.
std::string scheme_params_table(const Scheme& sc, bool markdown) {
    const std::vector<ParamInfo> rows = sc.params ? sc.params() : std::vector<ParamInfo>{};
    if (rows.empty()) return "";
    return params_table(sc.name + " (--param " + sc.name + ".KEY=VALUE)", rows, markdown);
}

// `sparsecim params [SCHEME]`: the hardware fields and every scheme's parameters, or one scheme's.
int cmd_params(const std::string& scheme, bool markdown) {
    if (!scheme.empty()) {
        const Scheme& sc = find_scheme(scheme);
        const std::string t = scheme_params_table(sc, markdown);
        std::cout << (t.empty() ? sc.name + ": no parameters\n" : t);
        return 0;
    }
    std::vector<ParamInfo> hw;
    for (const HwKeyInfo& k : hw_config_keys())
        hw.push_back({k.key, k.type, k.unit, k.default_value, "", k.description});
    std::cout << params_table("hardware (YAML section.key, or --set section.key=VALUE)", hw,
                              markdown);
    for (const Scheme& sc : scheme_registry())
        if (const std::string t = scheme_params_table(sc, markdown); !t.empty())
            std::cout << "\n" << t;
    return 0;
}

}  // namespace

Command add_params(CLI::App& app) {
    struct Args {
        std::string scheme;
        bool markdown = false;
    };
    auto a = std::make_shared<Args>();
    auto* prm = app.add_subcommand(
        "params", "List the hardware fields and every scheme's --param keys, or one scheme's");
    prm->add_option("scheme", a->scheme, "only this scheme's parameters");
    prm->add_flag("--markdown", a->markdown, "print Markdown tables");
    return {prm, [a] { return cmd_params(a->scheme, a->markdown); }};
}

}  // namespace sparsecim::cli
