// The zoo architectures, assembled node by node with a small builder that names tensors and
// draws seeded weights.
#include "model/zoo.hpp"

#include <cmath>
#include <random>

#include "core/error.hpp"

namespace sparsecim {

namespace {

class Builder {
  public:
    Builder(const std::string& name, uint64_t seed) : rng_(seed) {
        g_.name = name;
        g_.source = "zoo:" + name;
        g_.inputs.push_back({"input", {-1, 1, 28, 28}});
    }

    // Uniform in [-1, 1) from the top 24 bits of one 64-bit draw: exact in float, portable.
    float uniform() {
        const uint64_t bits = rng_() >> 40;
        return static_cast<float>(bits) * (2.0f / 16777216.0f) - 1.0f;
    }
    float uniform(float lo, float hi) { return lo + (uniform() + 1.0f) * 0.5f * (hi - lo); }

    std::string constant(const std::string& name, Shape shape, float scale) {
        Tensor t(std::move(shape));
        for (float& v : t.data) v = uniform() * scale;
        g_.constants[name] = std::move(t);
        return name;
    }
    std::string constant_values(const std::string& name, Shape shape, std::vector<float> v) {
        g_.constants[name] = Tensor(std::move(shape), std::move(v));
        return name;
    }

    std::string node(OpKind op, const std::string& name, std::vector<std::string> inputs,
                     std::map<std::string, AttrValue> attrs = {}) {
        Node n;
        n.op = op;
        n.name = name;
        n.inputs = std::move(inputs);
        n.outputs = {name + "_out"};
        n.attrs = std::move(attrs);
        g_.nodes.push_back(std::move(n));
        return g_.nodes.back().outputs[0];
    }

    // Conv with Kaiming-uniform weights (bound sqrt(6 / fan_in)) and a small bias.
    std::string conv(const std::string& name, const std::string& x, int64_t cin, int64_t cout,
                     int64_t k, int64_t stride, int64_t pad, bool bias = true) {
        const float bound = std::sqrt(6.0f / static_cast<float>(cin * k * k));
        std::vector<std::string> ins = {x, constant(name + ".weight", {cout, cin, k, k}, bound)};
        if (bias) ins.push_back(constant(name + ".bias", {cout}, 0.1f));
        return node(OpKind::Conv, name, ins,
                    {{"kernel_shape", std::vector<int64_t>{k, k}},
                     {"strides", std::vector<int64_t>{stride, stride}},
                     {"pads", std::vector<int64_t>{pad, pad, pad, pad}}});
    }

    // BatchNormalization with non-trivial statistics, so folding it is a real test.
    std::string bn(const std::string& name, const std::string& x, int64_t c) {
        auto draw = [&](const std::string& field, float lo, float hi) {
            std::vector<float> v(static_cast<size_t>(c));
            for (float& e : v) e = uniform(lo, hi);
            return constant_values(name + "." + field, {c}, std::move(v));
        };
        const std::string gamma = draw("scale", 0.5f, 1.5f);
        const std::string beta = draw("bias", -0.2f, 0.2f);
        const std::string mean = draw("mean", -0.3f, 0.3f);
        const std::string var = draw("var", 0.5f, 2.0f);
        return node(OpKind::BatchNormalization, name, {x, gamma, beta, mean, var},
                    {{"epsilon", 1e-5f}});
    }

    std::string relu(const std::string& name, const std::string& x) {
        return node(OpKind::Relu, name, {x});
    }
    std::string pool(OpKind op, const std::string& name, const std::string& x, int64_t k) {
        return node(op, name, {x},
                    {{"kernel_shape", std::vector<int64_t>{k, k}},
                     {"strides", std::vector<int64_t>{k, k}}});
    }
    // Gemm y = x * W^T + b with W [out, in] (transB = 1), as PyTorch's Linear exports.
    std::string gemm(const std::string& name, const std::string& x, int64_t in, int64_t out) {
        const float bound = std::sqrt(6.0f / static_cast<float>(in));
        return node(OpKind::Gemm, name,
                    {x, constant(name + ".weight", {out, in}, bound),
                     constant(name + ".bias", {out}, 0.1f)},
                    {{"transB", int64_t{1}}});
    }

    Graph finish(const std::string& logits) {
        // The last node's output becomes the graph output "logits".
        for (auto& n : g_.nodes)
            for (auto& o : n.outputs)
                if (o == logits) o = "logits";
        g_.outputs = {"logits"};
        return std::move(g_);
    }

  private:
    std::mt19937_64 rng_;
    Graph g_;
};

Graph tiny_cnn(uint64_t seed) {
    Builder b("tiny-cnn", seed);
    auto x = b.conv("conv1", "input", 1, 8, 3, 1, 1);
    x = b.bn("bn1", x, 8);
    x = b.relu("relu1", x);
    x = b.pool(OpKind::MaxPool, "pool1", x, 2);  // 8x14x14
    x = b.conv("conv2", x, 8, 16, 3, 1, 1);
    x = b.relu("relu2", x);
    x = b.pool(OpKind::MaxPool, "pool2", x, 2);  // 16x7x7
    x = b.node(OpKind::Flatten, "flatten", {x}, {{"axis", int64_t{1}}});
    x = b.gemm("fc", x, 784, 10);
    return b.finish(x);
}

Graph lenet(uint64_t seed) {
    Builder b("lenet", seed);
    auto x = b.conv("conv1", "input", 1, 6, 5, 1, 2);  // 6x28x28
    x = b.relu("relu1", x);
    x = b.pool(OpKind::AveragePool, "pool1", x, 2);  // 6x14x14
    x = b.conv("conv2", x, 6, 16, 5, 1, 0);          // 16x10x10
    x = b.relu("relu2", x);
    x = b.pool(OpKind::AveragePool, "pool2", x, 2);  // 16x5x5
    x = b.node(OpKind::Flatten, "flatten", {x}, {{"axis", int64_t{1}}});
    x = b.gemm("fc1", x, 400, 120);
    x = b.relu("relu3", x);
    x = b.gemm("fc2", x, 120, 10);
    return b.finish(x);
}

Graph resnet_mini(uint64_t seed) {
    Builder b("resnet-mini", seed);
    auto x = b.conv("stem", "input", 1, 16, 3, 1, 1, false);
    x = b.bn("stem_bn", x, 16);
    x = b.relu("stem_relu", x);  // 16x28x28
    // Block 1: identity shortcut.
    auto y = b.conv("b1_conv1", x, 16, 16, 3, 1, 1, false);
    y = b.bn("b1_bn1", y, 16);
    y = b.relu("b1_relu1", y);
    y = b.conv("b1_conv2", y, 16, 16, 3, 1, 1, false);
    y = b.bn("b1_bn2", y, 16);
    x = b.node(OpKind::Add, "b1_add", {y, x});
    x = b.relu("b1_relu2", x);
    // Block 2: stride 2, 1x1 projection shortcut.
    y = b.conv("b2_conv1", x, 16, 32, 3, 2, 1, false);  // 32x14x14
    y = b.bn("b2_bn1", y, 32);
    y = b.relu("b2_relu1", y);
    y = b.conv("b2_conv2", y, 32, 32, 3, 1, 1, false);
    y = b.bn("b2_bn2", y, 32);
    auto s = b.conv("b2_proj", x, 16, 32, 1, 2, 0, false);
    s = b.bn("b2_proj_bn", s, 32);
    x = b.node(OpKind::Add, "b2_add", {y, s});
    x = b.relu("b2_relu2", x);
    x = b.node(OpKind::GlobalAveragePool, "gap", {x});  // 32x1x1
    x = b.node(OpKind::Flatten, "flatten", {x}, {{"axis", int64_t{1}}});
    x = b.gemm("fc", x, 32, 10);
    return b.finish(x);
}

Graph concat_net(uint64_t seed) {
    Builder b("concat-net", seed);
    auto a = b.conv("branch3x3", "input", 1, 8, 3, 2, 1);                       // 8x14x14
    auto c = b.conv("branch5x5", "input", 1, 8, 5, 2, 2);                       // 8x14x14
    auto x = b.node(OpKind::Concat, "concat", {a, c}, {{"axis", int64_t{1}}});  // 16x14x14
    const auto lo = b.constant_values("clip.min", {}, {0.0f});
    const auto hi = b.constant_values("clip.max", {}, {6.0f});
    x = b.node(OpKind::Clip, "clip", {x, lo, hi});
    const auto shape = b.constant_values("reshape.shape", {2}, {0.0f, -1.0f});
    x = b.node(OpKind::Reshape, "reshape", {x, shape});  // N x 3136
    x = b.gemm("fc", x, 16 * 14 * 14, 10);
    return b.finish(x);
}

}  // namespace

std::vector<std::string> zoo_names() {
    return {"tiny-cnn", "lenet", "resnet-mini", "concat-net"};
}

Graph make_zoo_model(const std::string& name, uint64_t seed) {
    if (name == "tiny-cnn") return tiny_cnn(seed);
    if (name == "lenet") return lenet(seed);
    if (name == "resnet-mini") return resnet_mini(seed);
    if (name == "concat-net") return concat_net(seed);
    std::string known;
    for (const auto& n : zoo_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown zoo model '" + name + "' (known: " + known + ")");
}

}  // namespace sparsecim
