// Layers a scheme leaves dense (see exempt.hpp).
#include "schemes/exempt.hpp"

namespace sparsecim {

bool exempt_layer(size_t index, size_t count, const std::string& mode) {
    return mode == "ends" && count > 0 && (index == 0 || index + 1 == count);
}

void mark_exempt(QuantModel& qm, const std::string& mode) {
    for (size_t i = 0; i < qm.layers.size(); ++i)
        qm.layers[i].exempt = exempt_layer(i, qm.layers.size(), mode);
}

}  // namespace sparsecim
