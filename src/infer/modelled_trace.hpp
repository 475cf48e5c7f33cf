// Modelled activations for mapping-only analysis: when a graph cannot be executed on the data set
// (an op inference does not know, or an input that is not a Fashion-MNIST image), each weight
// layer gets a synthetic integer input trace with a requested activation density (fraction of
// non-zero inputs) and bit density (fraction of 1 bits in a non-zero input), drawn from a seed,
// and its exact int32 accumulators. The simulator then runs unchanged (docs/model-import.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "infer/trace.hpp"
#include "model/conv_geom.hpp"
#include "quant/quant_model.hpp"

namespace sparsecim {

struct ActivationModel {
    double density = 0.5;       // P(input != 0)
    double bit_density = 0.25;  // P(bit = 1) for each bit of a non-zero input's magnitude
};

// A default model and per-layer overrides of either figure.
struct ActivationModels {
    ActivationModel fallback;
    std::map<std::string, double> density, bit_density;  // by layer (node) name
    ActivationModel for_layer(const std::string& layer) const;
};

// Applies one option value: "X" sets the default, "LAYER=X" one layer; X must lie in (0, 1]
// (density) or (0, 1] (bit density). `option` is "activation_density" or "bit_density" and
// names the error (a FieldError about that option).
void set_activation_option(ActivationModels& models, const std::string& option,
                           const std::string& value);

// The measured statistics of a trace (real or modelled): fraction of non-zero inputs and fraction
// of 1 bits over the a_bits of the non-zero inputs' magnitudes.
struct ActivationStats {
    double density = 0.0;
    double bit_density = 0.0;
};
ActivationStats activation_stats(const LayerTrace& t);

// The counts behind ActivationStats, summed over any number of traces of one layer (the streamed
// simulation sees a layer's trace one batch at a time).
struct ActivationCounts {
    int64_t values = 0, nonzero = 0, ones = 0, magnitude_bits = 0;
    void add(const LayerTrace& t);
    ActivationStats stats() const;
};

// `positions` input vectors for layer L drawn from `m` with `seed`, plus their exact accumulators
// unless `outputs` is false (a counts-only simulation compares no outputs).
// Unsigned layers get values in [1, 2^a_bits - 1]; signed ones a magnitude in a_bits - 1 bits and
// a random sign. With `structure` (a ConvTranspose's equivalent convolution: positions are its
// output pixels, image after image), the entries that read no input pixel (the zeros the
// upsampling inserts, and the border) stay 0 as in any real trace; `m` applies to the others.
LayerTrace modelled_trace(const QuantLayer& L, int64_t positions, const ActivationModel& m,
                          uint64_t seed, const ConvGeom* structure = nullptr, bool outputs = true);

}  // namespace sparsecim
