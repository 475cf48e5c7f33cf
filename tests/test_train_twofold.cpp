// twofold's training objective in a real finetune (LibTorch): starting from the bundled trained
// LeNet pruned by the LFSR, finetuning with J's bit-ones term leaves fewer ones in the b-bit codes
// of the re-quantized model than the same finetuning with cross-entropy alone, at a comparable
// accuracy, and both keep the LFSR-pruned weights at zero.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "import/onnx_io.hpp"
#include "model/idx.hpp"
#include "schemes/scheme.hpp"
#include "schemes/twofold/quant.hpp"
#include "schemes/twofold/regularizer.hpp"
#include "train/masks.hpp"
#include "train/train.hpp"

using namespace sparsecim;

namespace {

struct Outcome {
    int64_t ones = 0;      // ones over every layer's 8-bit twofold code
    int64_t nonzeros = 0;  // kept non-zero weights
    double accuracy = 0.0;
};

}  // namespace

TEST(TrainTwofold, BitOnesTermReducesTheCodesOnes) {
    const Graph g =
        import_onnx(std::filesystem::path(SPARSECIM_SOURCE_DIR) / "models" / "lenet-fmnist.onnx");
    const Dataset train = load_fashion_mnist("train", 2048);
    const Dataset test = load_fashion_mnist("test", 500);
    const Scheme& scheme = find_scheme("twofold");
    SchemeContext ctx;
    ctx.params = {{"sparsity", 0.5}, {"beta", 0.01}};
    const QuantModel qm = scheme.prepare(g, train.images, ctx);
    const MaskSet masks = masks_from_quant_model(qm);

    auto finetune = [&](bool with_reg) {
        TrainOptions o;
        o.epochs = 1;
        o.batch = 32;
        o.max_steps = 60;
        o.threads = 1;
        o.test_images = 0;
        o.progress = false;
        o.seed = 3;
        o.lr = 5e-4;
        o.masks = masks;
        o.ste_bits = 8;
        if (with_reg) o.regularizer = scheme.regularizer(g, masks, ctx);
        const Graph tuned = train_graph(g, train, test, o).graph;
        const QuantModel tq = scheme.prepare(tuned, train.images, ctx);
        Outcome out;
        for (size_t l = 0; l < tq.layers.size(); ++l) {
            const WeightMatrix& w = tq.layers[l].weights;
            for (int c : bit_ones_counts(w, 8)) out.ones += c;
            out.nonzeros += w.nonzeros();
            // The LFSR-pruned positions stay pruned (and zero) after finetuning.
            for (size_t i = 0; i < w.w.size(); ++i) {
                if (!qm.layers[l].weights.keep[i]) {
                    EXPECT_EQ(w.w[i], 0) << w.name << " " << i;
                }
            }
        }
        out.accuracy = torch_accuracy(tuned, test, 500);
        return out;
    };
    const Outcome plain = finetune(false), reg = finetune(true);
    std::printf("code ones: cross-entropy only %lld, with J %lld; top-1 %.3f, %.3f\n",
                static_cast<long long>(plain.ones), static_cast<long long>(reg.ones),
                plain.accuracy, reg.accuracy);
    EXPECT_LT(static_cast<double>(reg.ones), 0.9 * static_cast<double>(plain.ones))
        << "ones with J " << reg.ones << ", cross-entropy only " << plain.ones;
    EXPECT_GT(reg.accuracy, plain.accuracy - 0.1)
        << "accuracy with J " << reg.accuracy << ", cross-entropy only " << plain.accuracy;
    EXPECT_GT(plain.nonzeros, 0);
}
