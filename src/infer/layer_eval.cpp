// eval_with_input: operands 1.. must be constants (they are, for a weight layer).
#include "infer/layer_eval.hpp"

#include "core/error.hpp"
#include "infer/float_infer.hpp"

namespace sparsecim {

Tensor eval_with_input(const Graph& g, const Node& n, const Tensor& x) {
    std::vector<const Tensor*> ins{&x};
    for (size_t i = 1; i < n.inputs.size(); ++i) {
        const std::string& name = n.inputs[i];
        if (name.empty()) {
            ins.push_back(nullptr);
            continue;
        }
        auto it = g.constants.find(name);
        if (it == g.constants.end())
            throw Error(g.source + ": node '" + n.name + "': operand '" + name +
                        "' must be a constant");
        ins.push_back(&it->second);
    }
    return eval_node(n, ins).at(0);
}

}  // namespace sparsecim
