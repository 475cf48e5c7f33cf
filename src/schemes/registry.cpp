// The table of schemes. Adding a scheme: its folder under src/schemes/ and one line here.
#include "core/error.hpp"
#include "schemes/csr/csr.hpp"
#include "schemes/dense/dense.hpp"
#include "schemes/pattern/pattern.hpp"
#include "schemes/scheme.hpp"
#include "schemes/sme/sme.hpp"
#include "schemes/twofold/twofold.hpp"

namespace sparsecim {

namespace {

std::deque<Scheme>& registry() {
    static std::deque<Scheme> table = {
        dense_scheme(),
        csr_scheme(),      // schemes.md section 1, deck 000
        twofold_scheme(),  // section 2, deck 001
        sme_scheme(),      // section 3, deck 002
        pattern_scheme(),  // section 4, deck 003
    };
    return table;
}

}  // namespace

const std::deque<Scheme>& scheme_registry() {
    return registry();
}

void register_scheme(Scheme s) {
    if (s.name.empty()) throw Error("register_scheme: a scheme needs a name");
    if (!s.prepare || !s.map)
        throw Error("register_scheme: '" + s.name + "' needs prepare and map");
    for (const Scheme& r : registry())
        if (r.name == s.name)
            throw Error("register_scheme: '" + s.name + "' is already registered");
    registry().push_back(std::move(s));
}

const Scheme& find_scheme(const std::string& name) {
    std::string known;
    for (const Scheme& s : scheme_registry()) {
        if (s.name == name) return s;
        known += (known.empty() ? "" : ", ") + s.name;
    }
    throw Error("unknown scheme '" + name + "' (known: " + known + ")");
}

}  // namespace sparsecim
