// The zoo architectures, assembled node by node with a small builder that names tensors and
// draws seeded weights.
#include "model/zoo.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "core/error.hpp"
#include "core/mt64.hpp"
#include "core/parallel.hpp"

namespace sparsecim {

namespace {

class Builder {
  public:
    Builder(const std::string& name, uint64_t seed, Shape input = {-1, 1, 28, 28}) : rng_(seed) {
        g_.name = name;
        g_.source = "zoo:" + name;
        g_.inputs.push_back({"input", std::move(input)});
    }
    void rename(const std::string& name) { g_.name = name; }

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

    // Laplace(0, b) with b = sqrt(1 / fan_in), i.e. standard deviation sqrt(2 / fan_in) (He
    // scaling): |u| of a uniform draw in [-1, 1) becomes an Exp(1) variate by -ln(1 - |u|).
    std::string laplace(const std::string& name, Shape shape, int64_t fan_in) {
        const float b = std::sqrt(1.0f / static_cast<float>(fan_in));
        Tensor t(std::move(shape));
        // The draws in order from the one stream, then their transform on every core (each
        // element on its own: the same weights at any thread count).
        for (float& v : t.data) v = uniform();
        constexpr int64_t kChunk = int64_t{1} << 16;
        const int64_t n = static_cast<int64_t>(t.data.size());
        parallel_for((n + kChunk - 1) / kChunk, n > kChunk ? 0 : 1, [&](int64_t c) {
            for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
                float& v = t.data[static_cast<size_t>(i)];
                const float mag = -b * std::log(1.0f - std::fabs(v));
                v = v < 0.0f ? -mag : mag;
            }
        });
        g_.constants[name] = std::move(t);
        return name;
    }

    // Conv with He-scaled Laplace weights (synthetic-weight models); bias, when asked, zero.
    std::string conv_laplace(const std::string& name, const std::string& x, int64_t cin,
                             int64_t cout, int64_t k, int64_t stride, int64_t pad, bool bias) {
        return conv_laplace_grouped(name, x, cin, cout, k, stride, pad, 1, bias);
    }
    // The same with `group` groups (group = cin = cout: depthwise); fan-in cin/group * k * k.
    std::string conv_laplace_grouped(const std::string& name, const std::string& x, int64_t cin,
                                     int64_t cout, int64_t k, int64_t stride, int64_t pad,
                                     int64_t group, bool bias = true) {
        const int64_t cpg = cin / group;
        std::vector<std::string> ins = {x,
                                        laplace(name + ".weight", {cout, cpg, k, k}, cpg * k * k)};
        if (bias)
            ins.push_back(constant_values(name + ".bias", {cout},
                                          std::vector<float>(static_cast<size_t>(cout), 0.0f)));
        std::map<std::string, AttrValue> attrs = {
            {"kernel_shape", std::vector<int64_t>{k, k}},
            {"strides", std::vector<int64_t>{stride, stride}},
            {"pads", std::vector<int64_t>{pad, pad, pad, pad}}};
        if (group != 1) attrs["group"] = group;
        return node(OpKind::Conv, name, ins, std::move(attrs));
    }
    std::string gemm_laplace(const std::string& name, const std::string& x, int64_t in,
                             int64_t out) {
        return node(OpKind::Gemm, name,
                    {x, laplace(name + ".weight", {out, in}, in),
                     constant_values(name + ".bias", {out},
                                     std::vector<float>(static_cast<size_t>(out), 0.0f))},
                    {{"transB", int64_t{1}}});
    }

    // BatchNormalization at its initial state (scale 1, bias 0, mean 0, var 1): for the
    // architectures that are meant to be trained (`sparsecim train`).
    std::string bn_init(const std::string& name, const std::string& x, int64_t c) {
        auto fill = [&](const std::string& field, float v) {
            return constant_values(name + "." + field, {c},
                                   std::vector<float>(static_cast<size_t>(c), v));
        };
        const std::string gamma = fill("scale", 1.0f);
        const std::string beta = fill("bias", 0.0f);
        const std::string mean = fill("mean", 0.0f);
        const std::string var = fill("var", 1.0f);
        return node(OpKind::BatchNormalization, name, {x, gamma, beta, mean, var},
                    {{"epsilon", 1e-5f}});
    }

    // Pooling with explicit stride and symmetric padding.
    std::string pool_ksp(OpKind op, const std::string& name, const std::string& x, int64_t k,
                         int64_t s, int64_t p) {
        return node(op, name, {x},
                    {{"kernel_shape", std::vector<int64_t>{k, k}},
                     {"strides", std::vector<int64_t>{s, s}},
                     {"pads", std::vector<int64_t>{p, p, p, p}}});
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
    Mt64 rng_;  // std::mt19937_64's stream (core/mt64.hpp)
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

// --- Trainable 28x28x1 architectures (BatchNorm at its initial state, folded at import) ---

// VGG style: 3x3 convs (+ BN, ReLU) as in `plan` (0 = a 2x2 max-pool), flattened, then the FCs
// `fc` (hidden widths then classes; ReLU between). Only 3x3 convs: the `pattern` scheme's kernels.
Graph vgg_net(const std::string& name, uint64_t seed, std::initializer_list<int64_t> plan,
              std::initializer_list<int64_t> fc) {
    Builder b(name, seed);
    std::string x = "input";
    int64_t cin = 1, size = 28;
    int i = 0;
    for (int64_t c : plan) {
        if (c == 0) {
            x = b.pool(OpKind::MaxPool, "pool" + std::to_string(i), x, 2);
            size /= 2;
            continue;
        }
        ++i;
        const std::string id = std::to_string(i);
        x = b.conv("conv" + id, x, cin, c, 3, 1, 1);
        x = b.bn_init("bn" + id, x, c);
        x = b.relu("relu" + id, x);
        cin = c;
    }
    x = b.node(OpKind::Flatten, "flatten", {x}, {{"axis", int64_t{1}}});
    int64_t in = cin * size * size;
    int j = 0;
    for (int64_t out : fc) {
        const bool last = ++j == static_cast<int>(fc.size());
        const std::string id = fc.size() == 1 ? "fc" : "fc" + std::to_string(j);
        x = b.gemm(id, x, in, out);
        if (!last) x = b.relu("relu_" + id, x);
        in = out;
    }
    return b.finish(x);
}

// vgg-small: 16-16-M-32-32-M-64-M, FC 576-128-10 (68% of the weights in the FCs).
Graph vgg_small(uint64_t seed) {
    return vgg_net("vgg-small", seed, {16, 16, 0, 32, 32, 0, 64, 0}, {128, 10});
}

// vgg7: conv-dominated and over-parameterised, the model worth pruning: 32-32-M-64-64-M-128-128-M
// and one FC 1152-10, so 96% of its 297,504 weights are in 3x3 convs; 29.1 M MACs per image.
Graph vgg7(uint64_t seed) {
    return vgg_net("vgg7", seed, {32, 32, 0, 64, 64, 0, 128, 128, 0}, {10});
}

// ResNet-20 (He et al. 2016, the CIFAR variant: 3 stages x 3 basic blocks, 16/32/64 channels,
// 19 3x3 convs + FC) for `input` of `channels` x `size` x `size`. The stride-2 stage entries use
// a 1x1 projection shortcut (option B), which the IR can express. Trainable: Kaiming-uniform
// convs and BN at its initial state; synthetic: He-scaled Laplace convs, no BN (it would fold).
Graph resnet20_net(const std::string& name, uint64_t seed, int64_t channels, int64_t size,
                   bool synthetic) {
    Builder b(name, seed, {-1, channels, size, size});
    auto conv_bn = [&](const std::string& id, const std::string& in, int64_t ci, int64_t co,
                       int64_t k, int64_t stride, int64_t pad, const std::string& bn_id) {
        if (synthetic) return b.conv_laplace(id, in, ci, co, k, stride, pad, true);
        return b.bn_init(bn_id, b.conv(id, in, ci, co, k, stride, pad, false), co);
    };
    auto x = b.relu("stem_relu", conv_bn("stem", "input", channels, 16, 3, 1, 1, "stem_bn"));
    int64_t cin = 16;
    for (int stage = 1; stage <= 3; ++stage) {
        const int64_t c = int64_t{16} << (stage - 1);
        for (int blk = 1; blk <= 3; ++blk) {
            const std::string p = "s" + std::to_string(stage) + "b" + std::to_string(blk) + "_";
            const int64_t stride = (stage > 1 && blk == 1) ? 2 : 1;
            auto y = b.relu(p + "relu1", conv_bn(p + "conv1", x, cin, c, 3, stride, 1, p + "bn1"));
            y = conv_bn(p + "conv2", y, c, c, 3, 1, 1, p + "bn2");
            std::string s = x;
            if (stride != 1 || cin != c)
                s = conv_bn(p + "proj", x, cin, c, 1, stride, 0, p + "proj_bn");
            x = b.relu(p + "relu2", b.node(OpKind::Add, p + "add", {y, s}));
            cin = c;
        }
    }
    x = b.node(OpKind::GlobalAveragePool, "gap", {x});
    x = b.node(OpKind::Flatten, "flatten", {x}, {{"axis", int64_t{1}}});
    x = synthetic ? b.gemm_laplace("fc", x, 64, 10) : b.gemm("fc", x, 64, 10);
    return b.finish(x);
}

// --- Exact-shape networks of the source documents, SYNTHETIC weights (He-scaled Laplace) ---

std::string synthetic_label(const std::string& name, uint64_t seed) {
    return name + " (SYNTHETIC weights: He-scaled Laplace per layer, b = sqrt(1/fan_in), seed " +
           std::to_string(seed) + "; shapes only, no accuracy claims)";
}

// torchvision's ResNet-18 / ResNet-50 (v1.5: stride on the 3x3 conv of a bottleneck) for
// 3 x 224 x 224, 1000 classes; BN omitted (it folds into the convs, shapes are unchanged).
Graph resnet_imagenet(const std::string& name, uint64_t seed, bool bottleneck) {
    Builder b(name, seed, {-1, 3, 224, 224});
    b.rename(synthetic_label(name, seed));
    auto x = b.conv_laplace("conv1", "input", 3, 64, 7, 2, 3, true);
    x = b.relu("relu1", x);
    x = b.pool_ksp(OpKind::MaxPool, "maxpool", x, 3, 2, 1);  // 64 x 56 x 56
    const int blocks18[] = {2, 2, 2, 2}, blocks50[] = {3, 4, 6, 3};
    int64_t cin = 64;
    for (int layer = 0; layer < 4; ++layer) {
        const int64_t w = int64_t{64} << layer;
        const int64_t cout = bottleneck ? w * 4 : w;
        const int nblk = bottleneck ? blocks50[layer] : blocks18[layer];
        for (int blk = 0; blk < nblk; ++blk) {
            const std::string p =
                "layer" + std::to_string(layer + 1) + "." + std::to_string(blk) + ".";
            const int64_t stride = (layer > 0 && blk == 0) ? 2 : 1;
            std::string y;
            if (bottleneck) {
                y = b.relu(p + "relu1", b.conv_laplace(p + "conv1", x, cin, w, 1, 1, 0, true));
                y = b.relu(p + "relu2", b.conv_laplace(p + "conv2", y, w, w, 3, stride, 1, true));
                y = b.conv_laplace(p + "conv3", y, w, cout, 1, 1, 0, true);
            } else {
                y = b.relu(p + "relu1", b.conv_laplace(p + "conv1", x, cin, w, 3, stride, 1, true));
                y = b.conv_laplace(p + "conv2", y, w, w, 3, 1, 1, true);
            }
            std::string s = x;
            if (stride != 1 || cin != cout)
                s = b.conv_laplace(p + "downsample", x, cin, cout, 1, stride, 0, true);
            x = b.relu(p + "relu_out", b.node(OpKind::Add, p + "add", {y, s}));
            cin = cout;
        }
    }
    x = b.node(OpKind::GlobalAveragePool, "avgpool", {x});
    x = b.node(OpKind::Flatten, "flatten", {x}, {{"axis", int64_t{1}}});
    x = b.gemm_laplace("fc", x, cin, 1000);
    return b.finish(x);
}

// VGG-16 (configuration D): 13 3x3 convs 64,64,M,128,128,M,256x3,M,512x3,M,512x3,M. ImageNet:
// 3 x 224 x 224, classifier 25088-4096-4096-1000 (dropout omitted). CIFAR: 3 x 32 x 32, one FC
// 512 -> 10 (the common CIFAR adaptation).
Graph vgg16_net(const std::string& name, uint64_t seed, bool cifar) {
    const int64_t size = cifar ? 32 : 224;
    Builder b(name, seed, {-1, 3, size, size});
    b.rename(synthetic_label(name, seed));
    std::string x = "input";
    int64_t cin = 3;
    int conv = 0, pool = 0;
    for (int64_t c :
         {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0}) {
        if (c == 0) {
            x = b.pool(OpKind::MaxPool, "pool" + std::to_string(++pool), x, 2);
            continue;
        }
        const std::string id = std::to_string(++conv);
        x = b.relu("relu" + id, b.conv_laplace("conv" + id, x, cin, c, 3, 1, 1, true));
        cin = c;
    }
    x = b.node(OpKind::Flatten, "flatten", {x}, {{"axis", int64_t{1}}});
    if (cifar) return b.finish(b.gemm_laplace("fc", x, 512, 10));
    x = b.relu("relu_fc1", b.gemm_laplace("fc1", x, 512 * 7 * 7, 4096));
    x = b.relu("relu_fc2", b.gemm_laplace("fc2", x, 4096, 4096));
    return b.finish(b.gemm_laplace("fc3", x, 4096, 1000));
}

// torchvision's MobileNetV2 (width 1.0) for 3 x 224 x 224, 1000 classes: stem 3x3/2 conv to 32,
// inverted residual blocks (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1)
// (6,160,3,2) (6,320,1,1) of 1x1 expand, 3x3 depthwise (group = channels), 1x1 linear project and
// an Add when stride 1 keeps the width, 1x1 conv to 1280, global pool, FC. ReLU6 is Clip(0, 6);
// BN omitted (it folds into the convs) and dropout omitted.
Graph mobilenetv2(uint64_t seed) {
    const std::string name = "mobilenetv2";
    Builder b(name, seed, {-1, 3, 224, 224});
    b.rename(synthetic_label(name, seed));
    const auto lo = b.constant_values("relu6.min", {}, {0.0f});
    const auto hi = b.constant_values("relu6.max", {}, {6.0f});
    auto relu6 = [&](const std::string& n, const std::string& x) {
        return b.node(OpKind::Clip, n, {x, lo, hi});
    };
    auto x = relu6("stem.relu6", b.conv_laplace("stem.conv", "input", 3, 32, 3, 2, 1, true));
    int64_t cin = 32;
    const int64_t cfg[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                              {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int blk = 0;
    for (const auto& c : cfg)
        for (int64_t i = 0; i < c[2]; ++i, ++blk) {
            const std::string p = "block" + std::to_string(blk) + ".";
            const int64_t stride = i == 0 ? c[3] : 1, hidden = cin * c[0], cout = c[1];
            std::string y = x;
            if (c[0] != 1)
                y = relu6(p + "expand.relu6",
                          b.conv_laplace(p + "expand", y, cin, hidden, 1, 1, 0, true));
            y = relu6(p + "dw.relu6",
                      b.conv_laplace_grouped(p + "dw", y, hidden, hidden, 3, stride, 1, hidden));
            y = b.conv_laplace(p + "project", y, hidden, cout, 1, 1, 0, true);
            x = stride == 1 && cin == cout ? b.node(OpKind::Add, p + "add", {y, x}) : y;
            cin = cout;
        }
    x = relu6("head.relu6", b.conv_laplace("head.conv", x, cin, 1280, 1, 1, 0, true));
    x = b.node(OpKind::GlobalAveragePool, "avgpool", {x});
    x = b.node(OpKind::Flatten, "flatten", {x}, {{"axis", int64_t{1}}});
    return b.finish(b.gemm_laplace("classifier", x, 1280, 1000));
}

Graph resnet20_cifar(uint64_t seed) {
    Graph g = resnet20_net("resnet20-cifar", seed, 3, 32, true);
    g.name = synthetic_label("resnet20-cifar", seed);
    return g;
}

}  // namespace

std::vector<std::string> zoo_names() {
    return {"tiny-cnn", "lenet", "resnet-mini", "concat-net"};
}

std::vector<std::string> zoo_trainable_names() {
    return {"lenet", "vgg-small", "vgg7", "resnet20"};
}

std::vector<std::string> zoo_shape_names() {
    return {"resnet18", "resnet50", "vgg16", "vgg16-cifar", "resnet20-cifar", "mobilenetv2"};
}

std::vector<std::string> zoo_all_names() {
    std::vector<std::string> all = zoo_names();
    for (const auto& n : zoo_trainable_names())
        if (std::find(all.begin(), all.end(), n) == all.end()) all.push_back(n);
    for (const auto& n : zoo_shape_names()) all.push_back(n);
    return all;
}

bool zoo_is_synthetic(const std::string& name) {
    const auto shapes = zoo_shape_names();
    return std::find(shapes.begin(), shapes.end(), name) != shapes.end();
}

Graph make_zoo_model(const std::string& name, uint64_t seed) {
    if (name == "tiny-cnn") return tiny_cnn(seed);
    if (name == "lenet") return lenet(seed);
    if (name == "resnet-mini") return resnet_mini(seed);
    if (name == "concat-net") return concat_net(seed);
    if (name == "vgg-small") return vgg_small(seed);
    if (name == "vgg7") return vgg7(seed);
    if (name == "resnet20") return resnet20_net("resnet20", seed, 1, 28, false);
    if (name == "resnet18") return resnet_imagenet("resnet18", seed, false);
    if (name == "resnet50") return resnet_imagenet("resnet50", seed, true);
    if (name == "vgg16") return vgg16_net("vgg16", seed, false);
    if (name == "vgg16-cifar") return vgg16_net("vgg16-cifar", seed, true);
    if (name == "resnet20-cifar") return resnet20_cifar(seed);
    if (name == "mobilenetv2") return mobilenetv2(seed);
    std::string known;
    for (const auto& n : zoo_all_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown zoo model '" + name + "' (known: " + known + ")");
}

}  // namespace sparsecim
