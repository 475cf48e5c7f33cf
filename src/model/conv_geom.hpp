// ConvGeom: the geometry of a 2-D convolution (ONNX Conv attributes resolved against the input
// and weight shapes), shared by the float kernels, the integer reference and im2col. Also the
// geometry of a ConvTranspose of any spatial rank, and a 2-D ConvTranspose as the direct
// convolution that computes it on crossbars (docs/model-import.md).
#pragma once

#include <cstdint>

#include "core/tensor.hpp"
#include "model/graph.hpp"

namespace sparsecim {

struct ConvGeom {
    int64_t cin = 0, cout = 0, group = 1;
    int64_t in_h = 0, in_w = 0;
    int64_t kh = 1, kw = 1;
    int64_t stride_h = 1, stride_w = 1;
    int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
    int64_t dil_h = 1, dil_w = 1;
    // Input upsampling: the input is read as if up - 1 zeros sat between neighbouring pixels
    // (1 for a Conv; a ConvTranspose's strides in its equivalent convolution). Input pixel iy sits
    // at upsampled position iy * up_h.
    int64_t up_h = 1, up_w = 1;
    int64_t out_h = 0, out_w = 0;

    int64_t cin_per_group() const { return cin / group; }
    int64_t cout_per_group() const { return cout / group; }
    // Rows of the flattened weight matrix: every input channel (grouped convs become
    // block-diagonal, with structural zeros outside each group's block).
    int64_t K() const { return cin * kh * kw; }
    // Whether tap (ky, kx) of output pixel (oy, ox) reads an input pixel; if not, it meets the
    // padding or a zero the upsampling inserts, and its im2col entry is 0 whatever the input.
    bool reads_input(int64_t oy, int64_t ox, int64_t ky, int64_t kx) const;
};

// Resolves a Conv node (attributes kernel_shape, strides, pads, dilations, group, auto_pad)
// for an NCHW input shape and an OIHW weight shape. Throws Error naming the node on a mismatch.
ConvGeom conv_geom(const Node& n, const Shape& x_shape, const Shape& w_shape);

// A ConvTranspose (ONNX attributes kernel_shape, strides, dilations, pads, output_padding,
// output_shape, group, auto_pad) resolved for an input N x Cin x D1.. and a weight
// Cin x Cout/group x k1..; one entry per spatial axis. Output pixel o receives input pixel i
// through kernel tap t where o = i * stride - pad_begin + t * dilation.
struct ConvTransposeGeom {
    int64_t cin = 0, cout = 0, group = 1;
    Shape in, kernel, stride, dilation, pad_begin, out;
};
ConvTransposeGeom conv_transpose_geom(const Node& n, const Shape& x_shape, const Shape& w_shape);

// A 2-D ConvTranspose as the direct convolution computing it: stride 1 over the input upsampled
// by the strides (up_h, up_w), the kernel flipped in both axes and its Cin and Cout/group axes
// swapped (weight_matrix_layout), the same dilations, and pad_top = (kh - 1) * dil_h - pads[top]
// (negative when the pads crop more than the kernel overhangs). K() = Cin * kh * kw as for a Conv.
ConvGeom conv_transpose_as_conv(const Node& n, const Shape& x_shape, const Shape& w_shape);

// The direct convolution a Conv or ConvTranspose weight layer computes on crossbars.
ConvGeom conv_layer_geom(const Node& n, const Shape& x_shape, const Shape& w_shape);

}  // namespace sparsecim
