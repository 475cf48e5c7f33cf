// Accelergy interop: Accelergy's Energy and Area Reference Tables (ERT, ART) as the unit prices of
// sparsecim's cost items, through a binding of each event and unit to an Accelergy component and
// action; and the writing of such tables, of a binding, and of action counts in Accelergy's
// formats (docs/accelergy.md).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cost/cost_model.hpp"

namespace sparsecim {

struct AccelergyTarget {
    std::string component;  // e.g. macro.adc
    std::string action;     // e.g. read
};

// Which Accelergy component (and action) prices each of sparsecim's events and units. An event
// or unit without an entry is bound to macro.<name> (action read).
struct AccelergyBinding {
    std::map<std::string, AccelergyTarget> energy;  // event -> component and action (ERT)
    std::map<std::string, std::string> area;        // unit -> component (ART)
    std::string source = "default binding";

    AccelergyTarget energy_target(const std::string& event) const;
    std::string area_target(const std::string& unit) const;
};

// CiMLoop's component names where CiMLoop has the component (macro.cell, macro.adc,
// macro.row_drivers, macro.shift_add), macro.<name> for the others.
AccelergyBinding default_binding();
// The default binding with the entries of a binding YAML (`bindings: {energy: {EVENT: {component:
// C, action: A}}, area: {UNIT: C}}`) in place of its own. Throws Error "FILE: FIELD: PROBLEM".
AccelergyBinding load_binding(const std::filesystem::path& path);

struct AccelergyTables {
    struct Entry {
        bool any_arguments = true;                     // `arguments: null`: prices every call
        std::map<std::string, std::string> arguments;  // else: the call's arguments, as text
        double energy_pj = 0.0;
    };
    // component (names without Accelergy's [i..j] instance ranges) -> action -> entries
    std::map<std::string, std::map<std::string, std::vector<Entry>>> ert;
    std::map<std::string, double> art;  // component -> area of one instance, um^2
    std::string ert_source, art_source;
};

// Reads an ERT (`ERT: {tables: [{name, actions: [{name, arguments, energy}]}]}`, energies in pJ)
// and an ART (`ART: {tables: [{name, area}]}`, areas in um^2), Accelergy 0.3/0.4 layout. Throws
// Error "FILE: FIELD: PROBLEM".
AccelergyTables load_accelergy_tables(const std::filesystem::path& ert,
                                      const std::filesystem::path& art);

// Prices from the tables: an event's price is the ERT entry of its bound component and action
// whose arguments equal the event's (cell_read: cell_bits, state), else the entry without
// arguments; a unit's is the ART area of its bound component. A missing entry is an Error naming
// the table file, the component and the sparsecim event.
PriceTable accelergy_prices(const AccelergyTables& tables, const AccelergyBinding& binding);

// Collects the unit prices that priced some cost items into one ERT and ART, under a binding.
class AccelergyTableWriter {
  public:
    explicit AccelergyTableWriter(AccelergyBinding binding);
    // The prices of every counted item; `who` names the entry in the error raised when one table
    // entry would need two prices (entries priced on different hardware).
    void add(const CostItems& items, const PriceTable& prices, const std::string& who);
    std::string ert_yaml() const;
    std::string art_yaml() const;
    std::string binding_yaml() const;

  private:
    struct Priced {
        std::string component, action, args_key;
        std::vector<std::pair<std::string, int64_t>> args;
        double value = 0.0;
        std::string who, event;
    };
    AccelergyBinding binding_;
    std::vector<Priced> energy_, area_;  // in order of first appearance
};

// The counted events of `items` in Accelergy's action_counts format (components and actions as
// `binding` names them).
std::string action_counts_yaml(const CostItems& items, const AccelergyBinding& binding);

}  // namespace sparsecim
