// The scheme parameter tables (schemes/param_table.hpp): the generic parser's one wording per kind
// of value, every scheme's table against its params struct, and `sparsecim params`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_harness.hpp"
#include "core/error.hpp"
#include "schemes/csr/csr_params.hpp"
#include "schemes/param_table.hpp"
#include "schemes/pattern/pattern_params.hpp"
#include "schemes/scheme.hpp"
#include "schemes/sme/sme_params.hpp"
#include "schemes/twofold/params.hpp"

using namespace sparsecim;

namespace {

enum class Kind { Red, Green };

// One member of every kind a table binds.
struct Demo {
    int n = 4;
    uint64_t seed = 1;
    int clusters = 0;
    double frac = 0.5;
    double open_frac = 0.25;
    double positive = 1.0;
    double weight = 1e-4;
    std::optional<double> target;
    bool on = true;
    bool legacy = false;
    std::string mode = "fast";
    Kind kind = Kind::Green;
    std::vector<int> taps;

    friend bool operator==(const Demo&, const Demo&) = default;
};

const ParamTable<Demo>& demo_table() {
    static const ParamTable<Demo> t = {
        {"n", "items", &Demo::n, int_in(1, 9), "bounded int"},
        {"seed", "", &Demo::seed, int_at_least(1, std::numeric_limits<int64_t>::max()),
         "positive int"},
        {"clusters", "clusters", &Demo::clusters, int_at_least(0, 1000, "auto"), "0 = auto"},
        {"frac", "", &Demo::frac, number_in(0.0, 1.0), "closed fraction"},
        {"open_frac", "", &Demo::open_frac, number_in(0.0, 1.0, Ends::HiOpen), "[0, 1)"},
        {"positive", "", &Demo::positive, number_in(0.0, 1.0, Ends::LoOpen), "(0, 1]"},
        {"weight", "", &Demo::weight, number_at_least(0.0), ">= 0"},
        {"target", "", &Demo::target, optional_number_in(0.0, 1.0, Ends::HiOpen), "optional"},
        {"on", "", &Demo::on, flag(), "strict bool"},
        {"legacy", "", &Demo::legacy, flag_or_01(), "bool or 0/1"},
        {"mode", "", &Demo::mode, choice({"fast", "slow"}), "string choice"},
        {"kind", "", enum_member(&Demo::kind, {Kind::Red, Kind::Green}), choice({"red", "green"}),
         "enum choice"},
        {"taps", "", &Demo::taps, int_list(1, 32), "int list"},
    };
    return t;
}

Demo parse_demo(const nlohmann::json& j) {
    return parse_params("demo", demo_table(), j);
}

std::string error_of(const nlohmann::json& j) {
    try {
        parse_demo(j);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// The value `--param scheme.KEY=TEXT` would pass (JSON, else the text as a string).
nlohmann::json as_param_value(const std::string& text) {
    nlohmann::json v = nlohmann::json::parse(text, nullptr, false);
    return v.is_discarded() ? nlohmann::json(text) : v;
}

// A default that cannot be written as a value: an unset optional, an empty list.
bool absent_default(const ParamInfo& info) {
    return info.default_text == "unset" || info.default_text == "[]";
}

// Every row's shown default, read back through the table, gives the default-constructed struct.
template <class P>
void expect_defaults_round_trip(const std::string& scheme, const ParamTable<P>& table) {
    const std::vector<ParamInfo> infos = param_infos(table);
    ASSERT_EQ(infos.size(), table.size());
    for (const ParamInfo& info : infos) {
        if (absent_default(info)) continue;
        const nlohmann::json j = {{info.key, as_param_value(info.default_text)}};
        EXPECT_TRUE(parse_params(scheme, table, j) == P{})
            << scheme << "." << info.key << "=" << info.default_text;
    }
}

}  // namespace

TEST(ParamTable, ReadsEveryKindOfValue) {
    EXPECT_TRUE(parse_demo(nlohmann::json::object()) == Demo{});
    EXPECT_TRUE(parse_demo(nullptr) == Demo{});
    const Demo d = parse_demo({{"n", 9},
                               {"seed", 7},
                               {"clusters", "auto"},
                               {"frac", 1},
                               {"open_frac", 0},
                               {"positive", 1.0},
                               {"weight", 2.5},
                               {"target", 0.75},
                               {"on", false},
                               {"legacy", 1},
                               {"mode", "slow"},
                               {"kind", "red"},
                               {"taps", {16, 15, 13, 4}}});
    EXPECT_EQ(d.n, 9);
    EXPECT_EQ(d.seed, 7u);
    EXPECT_EQ(d.clusters, 0);
    EXPECT_EQ(d.frac, 1.0);
    EXPECT_EQ(d.open_frac, 0.0);
    EXPECT_EQ(d.weight, 2.5);
    EXPECT_EQ(d.target.value_or(-1.0), 0.75);
    EXPECT_FALSE(d.on);
    EXPECT_TRUE(d.legacy);
    EXPECT_EQ(d.mode, "slow");
    EXPECT_EQ(d.kind, Kind::Red);
    EXPECT_EQ(d.taps, (std::vector<int>{16, 15, 13, 4}));
    EXPECT_EQ(parse_demo({{"clusters", 12}}).clusters, 12);
}

TEST(ParamTable, UnknownKeyListsTheTablesKeys) {
    EXPECT_EQ(error_of({{"gamma", 1}}),
              "demo.gamma: unknown parameter (known: n, seed, clusters, frac, open_frac, "
              "positive, weight, target, on, legacy, mode, kind, taps)");
    EXPECT_EQ(error_of(nlohmann::json::array({1})), "demo: expected key=value parameters");
}

TEST(ParamTable, OneWordingPerKindOfValue) {
    EXPECT_EQ(error_of({{"n", 0}}), "demo.n: must be an integer 1..9");
    EXPECT_EQ(error_of({{"n", 2.5}}), "demo.n: must be an integer 1..9");
    EXPECT_EQ(error_of({{"n", "four"}}), "demo.n: must be an integer 1..9");
    EXPECT_EQ(error_of({{"seed", 0}}), "demo.seed: must be a positive integer");
    EXPECT_EQ(error_of({{"seed", UINT64_MAX}}), "demo.seed: must be a positive integer");
    EXPECT_EQ(error_of({{"clusters", -1}}),
              "demo.clusters: must be a non-negative integer (0 = auto)");
    EXPECT_EQ(error_of({{"clusters", 1001}}),
              "demo.clusters: must be a non-negative integer (0 = auto)");
    EXPECT_EQ(error_of({{"frac", 1.5}}), "demo.frac: must be a number in [0, 1]");
    EXPECT_EQ(error_of({{"frac", "half"}}), "demo.frac: must be a number in [0, 1]");
    EXPECT_EQ(error_of({{"open_frac", 1}}), "demo.open_frac: must be a number in [0, 1)");
    EXPECT_EQ(error_of({{"positive", 0}}), "demo.positive: must be a number in (0, 1]");
    EXPECT_EQ(error_of({{"weight", -1}}), "demo.weight: must be a number >= 0");
    EXPECT_EQ(error_of({{"target", 1.0}}), "demo.target: must be a number in [0, 1)");
    EXPECT_EQ(error_of({{"on", 1}}), "demo.on: must be true or false");
    EXPECT_EQ(error_of({{"legacy", 2}}), "demo.legacy: must be true or false");
    EXPECT_EQ(error_of({{"mode", "medium"}}), "demo.mode: must be one of fast, slow");
    EXPECT_EQ(error_of({{"kind", 0}}), "demo.kind: must be one of red, green");
    const std::string list = "demo.taps: must be a non-empty list of integers 1..32";
    EXPECT_EQ(error_of({{"taps", nlohmann::json::array()}}), list);
    EXPECT_EQ(error_of({{"taps", {16, 33}}}), list);
    EXPECT_EQ(error_of({{"taps", 16}}), list);
}

TEST(ParamTable, DescribesEveryRowWithItsDefault) {
    const std::vector<ParamInfo> infos = param_infos(demo_table());
    ASSERT_EQ(infos.size(), demo_table().size());
    auto row = [&](const std::string& key) {
        for (const ParamInfo& i : infos)
            if (i.key == key) return i;
        ADD_FAILURE() << key;
        return ParamInfo{};
    };
    EXPECT_EQ(row("n").type, "int");
    EXPECT_EQ(row("n").unit, "items");
    EXPECT_EQ(row("n").default_text, "4");
    EXPECT_EQ(row("n").range, "1..9");
    EXPECT_EQ(row("seed").range, ">= 1");
    EXPECT_EQ(row("clusters").range, "0..1000 (0 = auto)");
    EXPECT_EQ(row("frac").default_text, "0.5");
    EXPECT_EQ(row("open_frac").range, "[0, 1)");
    EXPECT_EQ(row("weight").default_text, "1e-4");
    EXPECT_EQ(row("weight").range, ">= 0");
    EXPECT_EQ(row("target").type, "optional number");
    EXPECT_EQ(row("target").default_text, "unset");
    EXPECT_EQ(row("on").default_text, "true");
    EXPECT_EQ(row("mode").range, "fast, slow");
    EXPECT_EQ(row("kind").default_text, "green");
    EXPECT_EQ(row("taps").type, "int list");
    EXPECT_EQ(row("taps").default_text, "[]");
    expect_defaults_round_trip("demo", demo_table());
}

TEST(ParamTable, EveryTableDefaultIsItsStructsDefault) {
    expect_defaults_round_trip("csr", csr_param_table());
    expect_defaults_round_trip("twofold", twofold_param_table());
    expect_defaults_round_trip("sme", sme_param_table());
    expect_defaults_round_trip("pattern", pattern_param_table());
    // The scheme parsers' results with no parameters are the structs' defaults, but for the run
    // seed filling the seeds.
    CsrParams csr;
    csr.ga_seed = csr.kmeans_seed = 1;
    EXPECT_TRUE(parse_csr_params(nlohmann::json::object(), 1) == csr);
    EXPECT_TRUE(parse_twofold_params(nlohmann::json::object(), 1) == TwofoldParams{});
    EXPECT_TRUE(parse_sme_params(nlohmann::json::object(), 8) == SmeParams{});
    EXPECT_TRUE(parse_pattern_params(nlohmann::json::object()) == PatternParams{});
}

TEST(ParamTable, EverySchemePublishesTheKeysItParses) {
    for (const Scheme& sc : scheme_registry()) {
        // A scheme that checks parameters lists them, and one without has none to list.
        ASSERT_EQ(static_cast<bool>(sc.params), static_cast<bool>(sc.check_params)) << sc.name;
        if (!sc.params) continue;
        const std::vector<ParamInfo> infos = sc.params();
        ASSERT_FALSE(infos.empty()) << sc.name;
        std::string known;
        for (const ParamInfo& i : infos) {
            known += (known.empty() ? "" : ", ") + i.key;
            EXPECT_FALSE(i.type.empty()) << sc.name << "." << i.key;
            EXPECT_FALSE(i.range.empty()) << sc.name << "." << i.key;
            EXPECT_FALSE(i.description.empty()) << sc.name << "." << i.key;
            if (absent_default(i)) continue;
            SchemeContext ctx;
            ctx.params = {{i.key, as_param_value(i.default_text)}};
            EXPECT_NO_THROW(sc.check_params(ctx)) << sc.name << "." << i.key;
        }
        SchemeContext ctx;
        ctx.params = {{"no_such_key", 1}};
        try {
            sc.check_params(ctx);
            ADD_FAILURE() << sc.name << " accepted an unknown key";
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()),
                      sc.name + ".no_such_key: unknown parameter (known: " + known + ")");
        }
    }
}

class ParamsCli : public sparsecim_test::CliTest {};

TEST_F(ParamsCli, SchemeTableShowsEveryKeyWithUnitAndDefault) {
    const auto r = run("params csr");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const std::vector<ParamInfo> infos = find_scheme("csr").params();
    EXPECT_EQ(sparsecim_test::count_lines(r.out), 2 + static_cast<int>(infos.size()));
    for (const ParamInfo& i : infos) {
        std::istringstream in(r.out);
        std::string line, found;
        while (std::getline(in, line))
            if (line.rfind(i.key + " ", 0) == 0) found = line;
        ASSERT_FALSE(found.empty()) << i.key << "\n" << r.out;
        EXPECT_NE(found.find(" " + i.default_text + " "), std::string::npos) << found;
        if (!i.unit.empty()) {
            EXPECT_NE(found.find(" " + i.unit + " "), std::string::npos) << found;
        }
        EXPECT_NE(found.find(i.description), std::string::npos) << found;
    }
}

TEST_F(ParamsCli, ListsTheHardwareAndEveryScheme) {
    const auto r = run("params");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("crossbar.rows"), std::string::npos);
    for (const Scheme& sc : scheme_registry()) {
        if (!sc.params) continue;
        EXPECT_NE(r.out.find("--param " + sc.name + ".KEY=VALUE"), std::string::npos) << sc.name;
        for (const ParamInfo& i : sc.params())
            EXPECT_NE(r.out.find("\n" + i.key + " "), std::string::npos) << sc.name << "." << i.key;
    }
    const auto md = run("params --markdown");
    ASSERT_EQ(md.code, 0) << md.err;
    EXPECT_NE(md.out.find("| key | type | unit | default | range | description |"),
              std::string::npos);
    EXPECT_NE(md.out.find("| crossbar.rows | int | cells | 128 |"), std::string::npos) << md.out;
    EXPECT_NE(md.out.find("| beta | int | cols | 4 | 1..1024 |"), std::string::npos) << md.out;
}

TEST_F(ParamsCli, DenseHasSkipZeroAndAnUnknownSchemeIsOneError) {
    const auto dense = run("params dense");
    EXPECT_EQ(dense.code, 0) << dense.err;
    EXPECT_NE(dense.out.find("\nskip_zero "), std::string::npos) << dense.out;
    const auto bad = run("params nosuch");
    EXPECT_EQ(bad.code, 2);
    EXPECT_EQ(bad.out, "");
    EXPECT_EQ(sparsecim_test::count_lines(bad.err), 1) << bad.err;
    EXPECT_NE(bad.err.find("unknown scheme 'nosuch'"), std::string::npos) << bad.err;
}
