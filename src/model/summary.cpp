// Layer summary by a float run on one zero image with a weight-layer hook that records shapes.
#include "model/summary.hpp"

#include "core/error.hpp"
#include "infer/float_infer.hpp"
#include "infer/layer_eval.hpp"
#include "model/conv_geom.hpp"
#include "quant/quant_model.hpp"

namespace sparsecim {

std::vector<LayerInfo> summarize(const Graph& g) {
    if (g.inputs.empty()) throw Error(g.source + ": graph has no input");
    Shape in = g.inputs[0].shape;
    if (in.empty()) throw Error(g.source + ": input '" + g.inputs[0].name + "' has no shape");
    for (auto& d : in)
        if (d < 0) d = 1;  // symbolic (batch) dimensions: one image
    std::vector<LayerInfo> out;
    auto hook = [&](size_t, const Node& n, const Tensor& x) -> Tensor {
        const Tensor& W = g.constant(weight_name(n));
        const FloatMatrix fm = float_weight_matrix(g, n);
        LayerInfo li;
        li.name = n.name;
        li.op = op_name(n.op);
        li.weight_shape = W.shape;
        li.K = fm.K;
        li.N = fm.N;
        li.weights = W.size();
        for (float v : W.data) li.zeros += v == 0.0f;
        Tensor y = eval_with_input(g, n, x);
        if (n.op == OpKind::Conv) {
            const ConvGeom cg = conv_geom(n, x.shape, W.shape);
            li.macs = cg.out_h * cg.out_w * cg.cout * cg.cin_per_group() * cg.kh * cg.kw;
        } else {
            li.macs = (x.size() / std::max<int64_t>(1, fm.K)) * fm.K * fm.N;
        }
        out.push_back(std::move(li));
        return y;
    };
    run_graph(g, {{g.inputs[0].name, Tensor(in)}}, hook);
    return out;
}

}  // namespace sparsecim
