// Resolution of ONNX Conv attributes (including auto_pad) into a ConvGeom.
#include "model/conv_geom.hpp"

#include "core/error.hpp"

namespace sparsecim {

ConvGeom conv_geom(const Node& n, const Shape& x, const Shape& w) {
    auto fail = [&](const std::string& why) -> void {
        throw Error("node '" + n.name + "' (Conv): " + why);
    };
    if (x.size() != 4) fail("input must be 4-D NCHW, got " + shape_str(x));
    if (w.size() != 4) fail("weight must be 4-D OIHW, got " + shape_str(w));
    ConvGeom g;
    g.group = n.attr_int("group", 1);
    g.cin = x[1];
    g.in_h = x[2];
    g.in_w = x[3];
    g.cout = w[0];
    g.kh = w[2];
    g.kw = w[3];
    if (g.group <= 0 || g.cin % g.group != 0 || g.cout % g.group != 0)
        fail("group " + std::to_string(g.group) + " does not divide the channels");
    if (w[1] * g.group != g.cin)
        fail("weight " + shape_str(w) + " does not match input channels " + std::to_string(g.cin));
    auto ks = n.attr_ints("kernel_shape", {g.kh, g.kw});
    if (ks.size() != 2 || ks[0] != g.kh || ks[1] != g.kw)
        fail("kernel_shape disagrees with weight");
    auto st = n.attr_ints("strides", {1, 1});
    auto dl = n.attr_ints("dilations", {1, 1});
    if (st.size() != 2 || dl.size() != 2) fail("only 2-D strides/dilations are supported");
    g.stride_h = st[0];
    g.stride_w = st[1];
    g.dil_h = dl[0];
    g.dil_w = dl[1];
    if (g.stride_h <= 0 || g.stride_w <= 0 || g.dil_h <= 0 || g.dil_w <= 0)
        fail("strides and dilations must be positive");
    const int64_t ekh = (g.kh - 1) * g.dil_h + 1;
    const int64_t ekw = (g.kw - 1) * g.dil_w + 1;
    std::string ap = n.attr_string("auto_pad", "NOTSET");
    if (ap == "NOTSET" || ap == "VALID") {
        auto p = n.attr_ints("pads", {0, 0, 0, 0});
        if (ap == "VALID") p = {0, 0, 0, 0};
        if (p.size() != 4) fail("pads must have 4 entries");
        g.pad_top = p[0];
        g.pad_left = p[1];
        g.pad_bottom = p[2];
        g.pad_right = p[3];
    } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
        const int64_t oh = (g.in_h + g.stride_h - 1) / g.stride_h;
        const int64_t ow = (g.in_w + g.stride_w - 1) / g.stride_w;
        const int64_t ph = std::max<int64_t>(0, (oh - 1) * g.stride_h + ekh - g.in_h);
        const int64_t pw = std::max<int64_t>(0, (ow - 1) * g.stride_w + ekw - g.in_w);
        const bool upper = ap == "SAME_UPPER";
        g.pad_top = upper ? ph / 2 : ph - ph / 2;
        g.pad_bottom = ph - g.pad_top;
        g.pad_left = upper ? pw / 2 : pw - pw / 2;
        g.pad_right = pw - g.pad_left;
    } else {
        fail("unknown auto_pad '" + ap + "'");
    }
    g.out_h = (g.in_h + g.pad_top + g.pad_bottom - ekh) / g.stride_h + 1;
    g.out_w = (g.in_w + g.pad_left + g.pad_right - ekw) / g.stride_w + 1;
    if (g.out_h <= 0 || g.out_w <= 0) fail("output would be empty for input " + shape_str(x));
    return g;
}

}  // namespace sparsecim
