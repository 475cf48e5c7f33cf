// Seeded synthetic input traces (std::mt19937_64, top 53 bits -> [0, 1)) and trace statistics.
#include "infer/modelled_trace.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>

#include "core/error.hpp"
#include "core/hot_clones.hpp"
#include "core/mt64.hpp"
#include "infer/int_infer.hpp"

namespace sparsecim {

ActivationModel ActivationModels::for_layer(const std::string& layer) const {
    ActivationModel m = fallback;
    if (auto it = density.find(layer); it != density.end()) m.density = it->second;
    if (auto it = bit_density.find(layer); it != bit_density.end()) m.bit_density = it->second;
    return m;
}

void set_activation_option(ActivationModels& models, const std::string& option,
                           const std::string& value) {
    const auto eq = value.rfind('=');
    const std::string layer = eq == std::string::npos ? "" : value.substr(0, eq);
    const std::string num = eq == std::string::npos ? value : value.substr(eq + 1);
    char* end = nullptr;
    const double v = std::strtod(num.c_str(), &end);
    if (num.empty() || end != num.c_str() + num.size() || !(v > 0.0 && v <= 1.0) ||
        (eq != std::string::npos && layer.empty()))
        throw FieldError(Origin::Option, option,
                         value + ": expected a value in (0, 1] or LAYER=value");
    const bool is_density = option == "activation_density";
    if (layer.empty())
        (is_density ? models.fallback.density : models.fallback.bit_density) = v;
    else
        (is_density ? models.density : models.bit_density)[layer] = v;
}

// (every simulated input passes here once: hardware popcnt where the CPU has it)
SPARSECIM_HOT_CLONES
void ActivationCounts::add(const LayerTrace& t) {
    const int bits = t.in_signed ? t.a_bits - 1 : t.a_bits;
    values += static_cast<int64_t>(t.inputs.size());
    for (int32_t v : t.inputs) {
        if (v == 0) continue;
        ++nonzero;
        ones += std::popcount(static_cast<uint32_t>(v < 0 ? -v : v));
        magnitude_bits += std::max(bits, 0);
    }
}

ActivationStats ActivationCounts::stats() const {
    ActivationStats s;
    if (values > 0) s.density = static_cast<double>(nonzero) / static_cast<double>(values);
    if (magnitude_bits > 0)
        s.bit_density = static_cast<double>(ones) / static_cast<double>(magnitude_bits);
    return s;
}

ActivationStats activation_stats(const LayerTrace& t) {
    ActivationCounts c;
    c.add(t);
    return c.stats();
}

LayerTrace modelled_trace(const QuantLayer& L, int64_t positions, const ActivationModel& m,
                          uint64_t seed, const ConvGeom* structure, bool outputs) {
    if (positions < 0) throw Error(L.name + ": negative position count");
    Mt64 rng(seed);  // std::mt19937_64's stream (core/mt64.hpp)
    auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
    const int bits = L.in_signed ? L.a_bits - 1 : L.a_bits;
    LayerTrace t;
    t.layer = L.name;
    t.K = L.weights.K;
    t.N = L.weights.N;
    t.a_bits = L.a_bits;
    t.in_signed = L.in_signed;
    t.positions = positions;
    t.inputs.assign(static_cast<size_t>(positions * t.K), 0);
    if (structure && structure->K() != t.K)
        throw Error(L.name + ": the convolution's " + std::to_string(structure->K()) +
                    " rows disagree with the weight matrix's " + std::to_string(t.K));
    for (size_t i = 0; i < t.inputs.size(); ++i) {
        int32_t& x = t.inputs[i];
        if (structure) {  // row k = (c, ky, kx) of output pixel p (image after image)
            const ConvGeom& s = *structure;
            const int64_t p = static_cast<int64_t>(i) / t.K, k = static_cast<int64_t>(i) % t.K;
            const int64_t pix = p % (s.out_h * s.out_w);
            if (!s.reads_input(pix / s.out_w, pix % s.out_w, (k / s.kw) % s.kh, k % s.kw)) continue;
        }
        if (uniform() >= m.density || bits <= 0) continue;
        int32_t v = 0;
        // A non-zero value: each magnitude bit set with bit_density, redrawn while all are 0
        // (after a bounded number of tries the lowest bit is set).
        for (int attempt = 0; v == 0 && attempt < 64; ++attempt)
            for (int b = 0; b < bits; ++b)
                if (uniform() < m.bit_density) v |= int32_t{1} << b;
        if (v == 0) v = 1;
        if (L.in_signed && uniform() < 0.5) v = -v;
        x = v;
    }
    if (outputs) int_matmul(t.inputs, positions, L.weights, t.outputs);
    return t;
}

}  // namespace sparsecim
