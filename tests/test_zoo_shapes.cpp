// The zoo's exact-shape networks match the published layer shapes (weight counts equal
// torchvision's parameter counts minus BN and bias parameters), carry the synthetic label, and
// their He-scaled Laplace weights have the documented spread; the trainable 28x28 nets have the
// documented structure.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "import/summary.hpp"
#include "model/zoo.hpp"

using namespace sparsecim;

namespace {

struct Counts {
    int64_t layers = 0, weights = 0, conv3x3 = 0;
};

Counts count(const Graph& g) {
    Counts c;
    for (const Node& n : g.nodes) {
        if (!is_weight_layer(g, n)) continue;
        const Tensor& w = g.constant(weight_name(n));
        ++c.layers;
        c.weights += w.size();
        c.conv3x3 += n.op == OpKind::Conv && w.dim(2) == 3 && w.dim(3) == 3;
    }
    return c;
}

}  // namespace

TEST(ZooShapes, ImageNetAndCifarNetworksHaveThePublishedShapes) {
    struct Want {
        std::string name;
        int64_t layers, weights, conv3x3;
        Shape input;
    };
    const std::vector<Want> wants = {
        // torchvision: 11,689,512 params = weights + 9,600 BN + 1,000 fc bias.
        {"resnet18", 21, 11678912, 16, {-1, 3, 224, 224}},
        // torchvision: 25,557,032 params = weights + 53,120 BN + 1,000 fc bias.
        {"resnet50", 54, 25502912, 16, {-1, 3, 224, 224}},
        // torchvision: 138,357,544 params = weights + 13,416 biases.
        {"vgg16", 16, 138344128, 13, {-1, 3, 224, 224}},
        // VGG-16 convs (138,344,128 - 123,633,664 FC weights) + FC 512 x 10.
        {"vgg16-cifar", 14, 14710464 + 5120, 13, {-1, 3, 32, 32}},
        {"resnet20-cifar", 22, 270896, 19, {-1, 3, 32, 32}},
        // torchvision: 3,504,872 params = weights + 34,112 BN (2 x 17,056 channels) + 1,000 fc
        // bias; 17 depthwise 3x3 convs plus the 3x3 stem.
        {"mobilenetv2", 53, 3469760, 18, {-1, 3, 224, 224}},
    };
    for (const auto& w : wants) {
        const Graph g = make_zoo_model(w.name, 1);
        const Counts c = count(g);
        EXPECT_EQ(c.layers, w.layers) << w.name;
        EXPECT_EQ(c.weights, w.weights) << w.name;
        EXPECT_EQ(c.conv3x3, w.conv3x3) << w.name;
        EXPECT_EQ(g.inputs.at(0).shape, w.input) << w.name;
        EXPECT_NE(g.name.find("SYNTHETIC"), std::string::npos) << w.name;
        EXPECT_TRUE(zoo_is_synthetic(w.name));
    }
    EXPECT_EQ(zoo_shape_names().size(), wants.size());
}

TEST(ZooShapes, SyntheticWeightsAreHeScaledLaplace) {
    const Graph g = make_zoo_model("resnet18", 3);
    for (const char* layer : {"layer3.0.conv2.weight", "fc.weight"}) {
        const Tensor& w = g.constant(layer);
        const int64_t fan_in = w.size() / w.dim(0);
        double s1 = 0, s2 = 0;
        for (float v : w.data) {
            s1 += std::fabs(v);
            s2 += static_cast<double>(v) * v;
        }
        const double n = static_cast<double>(w.size());
        const double b = std::sqrt(1.0 / static_cast<double>(fan_in));
        EXPECT_NEAR(s1 / n, b, 0.02 * b) << layer;                              // E|x| = b
        EXPECT_NEAR(std::sqrt(s2 / n), std::sqrt(2.0) * b, 0.03 * b) << layer;  // std = sqrt(2) b
    }
    // Seeded: same seed same weights, another seed other weights.
    EXPECT_EQ(make_zoo_model("resnet20-cifar", 3).constant("stem.weight").data,
              make_zoo_model("resnet20-cifar", 3).constant("stem.weight").data);
    EXPECT_NE(make_zoo_model("resnet20-cifar", 3).constant("stem.weight").data,
              make_zoo_model("resnet20-cifar", 4).constant("stem.weight").data);
}

TEST(ZooShapes, TrainableNetsFor28x28) {
    const Graph vgg = make_zoo_model("vgg-small", 1);
    const Counts cv = count(vgg);
    EXPECT_EQ(cv.layers, 7);
    EXPECT_EQ(cv.conv3x3, 5);  // every conv is 3x3 (the pattern scheme's kernels)
    const Graph rn = make_zoo_model("resnet20", 1);
    const Counts cr = count(rn);
    EXPECT_EQ(cr.conv3x3, 19);  // ResNet-20: 19 3x3 convs + 2 1x1 projections + FC
    EXPECT_EQ(cr.layers, 22);
    int64_t macs = 0;
    for (const auto& l : summarize(rn)) macs += l.macs;
    EXPECT_EQ(macs, 31021952);
    for (const auto& name : zoo_trainable_names()) {
        EXPECT_FALSE(zoo_is_synthetic(name));
        EXPECT_EQ(make_zoo_model(name, 1).inputs.at(0).shape, (Shape{-1, 1, 28, 28}));
    }
    // Every name is accepted; an unknown one lists them all.
    for (const auto& name : zoo_all_names()) EXPECT_NO_THROW(make_zoo_model(name, 1)) << name;
    try {
        make_zoo_model("nosuch", 1);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("vgg16-cifar"), std::string::npos);
    }
}
