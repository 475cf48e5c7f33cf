// Layer summary from static shapes (import/onnx_io.hpp infer_shapes), completed by one float run
// on a zero input where static inference stops short and the graph can run.
#include "import/summary.hpp"

#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "infer/float_infer.hpp"
#include "infer/layer_eval.hpp"
#include "model/conv_geom.hpp"
#include "quant/quant_model.hpp"

namespace sparsecim {

namespace {

// One weight layer's row of the summary, from its static input shape. The input and (for a conv)
// output activation are checked against the tensor size limit, so a crafted padding cannot make
// later stages allocate.
LayerInfo layer_info(const Graph& g, size_t i, const Shape& input_shape) {
    const Node& n = g.nodes[i];
    const Tensor& W = g.constant(weight_name(n));
    const FloatMatrix fm = float_weight_matrix(g, n, /*values=*/false);  // K and N, checked
    LayerInfo li;
    li.node = i;
    li.name = n.name;
    li.op = n.type();
    li.weight_shape = W.shape;
    li.input_shape = input_shape;
    for (auto& d : li.input_shape)
        if (d < 0) d = 1;  // symbolic (batch) dimensions: one image
    numel(li.input_shape);
    li.K = fm.K;
    li.N = fm.N;
    li.weights = W.size();
    for (float v : W.data) li.zeros += v == 0.0f;
    if (n.op == OpKind::Conv || n.op == OpKind::ConvTranspose) {
        const ConvGeom cg = conv_layer_geom(n, li.input_shape, W.shape);
        numel({li.input_shape[0], cg.cout, cg.out_h, cg.out_w});
        li.positions = cg.out_h * cg.out_w;  // input vectors of the (equivalent) convolution
        li.conv = cg;
        // A ConvTranspose's MACs are every input pixel times every tap of its Cout/group kernels,
        // not the crossbar's row reads, most of which meet the zeros the upsampling inserts.
        const int64_t pixels = n.op == OpKind::Conv ? li.positions : cg.in_h * cg.in_w;
        li.macs = pixels * cg.cout * cg.cin_per_group() * cg.kh * cg.kw;
    } else {
        // Every leading index is one input vector (the last dimension is K).
        li.positions = 1;
        for (size_t d = 0; d + 1 < li.input_shape.size(); ++d) li.positions *= li.input_shape[d];
        li.macs = li.positions * fm.K * fm.N;
    }
    return li;
}

}  // namespace

std::vector<LayerInfo> summarize(const Graph& g) {
    if (g.inputs.empty()) throw Error(g.source + ": graph has no input");
    auto shapes = infer_shapes(g);
    // Where static inference stops short (a Reshape whose target a shape subgraph computes at an
    // old opset, say) and the graph is executable, one float run on a zero input gives the shapes.
    bool missing = false;
    for (const auto& n : g.nodes)
        missing = missing || (is_weight_layer(g, n) && !shapes.count(n.inputs.at(0)));
    if (missing && !first_unsupported_node(g) && !g.inputs[0].shape.empty()) {
        Shape in = g.inputs[0].shape;
        for (auto& d : in)
            if (d < 0) d = 1;
        try {
            run_graph(g, {{g.inputs[0].name, Tensor(in)}},
                      [&](size_t, const Node& n, const Tensor& x) {
                          shapes[n.inputs[0]] = x.shape;
                          return eval_with_input(g, n, x);
                      });
        } catch (const Error&) {  // shapes stay unknown: the error below names the layer
        }
    }
    std::vector<LayerInfo> out;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        if (!is_weight_layer(g, n)) continue;
        const auto it = shapes.find(n.inputs.at(0));
        if (it == shapes.end() || it->second.empty())
            throw FieldError(Origin::Option, "input_shape",
                             g.source + ": node '" + n.name + "' (" + n.type() +
                                 "): the shape of input '" + n.inputs[0] +
                                 "' cannot be inferred (an op before it has no ONNX shape "
                                 "inference, or a graph input has dynamic dimensions or none: "
                                 "give them, e.g. " +
                                 g.inputs[0].name + "=1,3,224,224)");
        try {
            out.push_back(layer_info(g, i, it->second));
        } catch (const Error& e) {  // name the file and the node, unless the message does
            std::string what = e.what();
            if (what.find("node '" + n.name + "'") == std::string::npos)
                what = "node '" + n.name + "' (" + n.type() + "): " + what;
            if (what.rfind(g.source + ": ", 0) != 0) what = g.source + ": " + what;
            throw Error(what);
        }
    }
    return out;
}

}  // namespace sparsecim
