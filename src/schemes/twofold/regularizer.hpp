// The two regularisers of twofold's training objective (deck 001),
//   J = CE + lambda * sum_l ||W_l (.) M_l||_2 + beta * sum_l (#param_l / #param) * ||sum_n
//   W_q,l^(n)||_2,
// as plain functions of weight matrices, for the finetune hook to call (the hook adds CE and
// back-propagates; the rounding inside W_q takes a straight-through estimator there).
//   Reg_Net: group lasso on the kept weights (groups: the whole layer as the deck writes it, or
//            per output column / per input row).
//   Reg_Bit: per weight, the number of ones of its b-bit two's complement code (the sum of its
//            bit-planes), then the L2 norm over the layer; layers weighted by their share of
//            the network's parameters. Fewer ones -> more 00 cells -> cheaper reads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/graph.hpp"
#include "model/weight_matrix.hpp"
#include "schemes/twofold/params.hpp"
#include "train/train.hpp"

namespace sparsecim {

// sum over groups g of sqrt(sum_{i in g, keep_i} w_i^2). w and keep are K*N row-major.
double group_lasso(std::span<const float> w, std::span<const uint8_t> keep, int64_t K, int64_t N,
                   LassoGroup group = LassoGroup::Layer);
// Its gradient: keep_i * w_i / ||group of i||, 0 for a group whose norm is 0 (the subgradient).
std::vector<float> group_lasso_grad(std::span<const float> w, std::span<const uint8_t> keep,
                                    int64_t K, int64_t N, LassoGroup group = LassoGroup::Layer);

// Per weight, the ones of its b-bit two's complement code (sum over the bit-planes).
std::vector<int> bit_ones_counts(const WeightMatrix& wq, int bits);
// ||sum_n W_q^(n)||_2 = sqrt(sum_i ones_i^2). Throws Error when a weight does not fit in b bits.
double bit_ones_penalty(const WeightMatrix& wq, int bits);

// A penalty and its gradient (same layout as the weights).
struct ValueGrad {
    double value = 0.0;
    std::vector<float> grad;
};

// The bit-ones penalty of float weights through twofold's quantizer, with the rounding relaxed so
// that it has a gradient: u_i = w_i / s x qmax (s = max |w| over the kept weights, qmax =
// 2^(b-1) - 1), ones(u) interpolated linearly between the integers floor(u) and floor(u) + 1
// (ones of their b-bit two's complement codes), P = sqrt(sum over kept i of ones(u_i)^2). Where
// every u_i is an integer (weights on the grid) P equals bit_ones_penalty of scaled_quantize(w);
// the gradient is the relaxation's exact gradient, including the path through s. Pruned
// weights (keep 0) contribute nothing and get gradient 0.
ValueGrad bit_ones_relaxed(std::span<const float> w, std::span<const uint8_t> keep, int bits);

// One layer as the training loop sees it: float weights, mask, and their b-bit quantization.
struct RegLayer {
    int64_t K = 0, N = 0;
    std::vector<float> w;       // K*N
    std::vector<uint8_t> keep;  // K*N
    WeightMatrix wq;            // scaled_quantize(w, keep, bits)
};

struct TwofoldReg {
    double net = 0.0;  // lambda * sum_l group_lasso_l
    double bit = 0.0;  // beta * sum_l (#param_l / #param) * bit_ones_penalty_l
    double total() const { return net + bit; }
};

// The two terms over a network; #param_l = K_l * N_l.
TwofoldReg twofold_regulariser(const std::vector<RegLayer>& layers, double lambda, double beta,
                               int bits, LassoGroup group = LassoGroup::Layer);

// The finetune hook (TrainOptions::regularizer) for J's two terms on graph `g` (the float graph
// being finetuned) with `masks` (MaskSet, the constant's layout; a weight without a mask is
// kept): for the weight constant of layer l it returns
//   p.lambda x group_lasso(W_l (.) M_l, p.lasso_group)
//   + p.beta x (#param_l / #param) x bit_ones_relaxed(W_l, M_l, p.bits)
// (#param: elements of the weight constants) and adds the gradient of that into `grad`. Groups
// are formed on the layer's K x N matrix (weight_matrix_layout). Names that are not weight
// constants of `g` get 0.
RegularizerFn make_twofold_regularizer(const Graph& g, const MaskSet& masks,
                                       const TwofoldParams& p);

}  // namespace sparsecim
