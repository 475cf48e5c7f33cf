// Hostile ONNX files (crafted here with ONNX's protobuf classes): sizes are checked before anything
// is allocated, cyclic graphs, tensors assigned twice and nested subgraphs are rejected, each with
// one clear Error naming the file and the tensor or node. Also through the real binary: exit 2, one
// line, under a 2 GiB address-space limit (so an attempt to allocate would fail, not pass unseen).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/tensor.hpp"
#include "import/onnx_io.hpp"
#include "import/summary.hpp"
#include "support/onnx_craft.hpp"
#include "support/process.hpp"

using namespace sparsecim;
using namespace sparsecim::testing;

namespace {

std::string import_error(const onnx::ModelProto& m) {
    try {
        summarize(import_onnx_bytes(bytes(m), "crafted.onnx"));
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

onnx::ModelProto huge_initializer(bool with_raw_data) {
    onnx::ModelProto m = base_model();
    auto* t = add_initializer(m, "huge", {1000000, 1000000});  // 10^12 elements
    if (with_raw_data) t->set_raw_data(std::string(16, '\0'));
    add_node(m, "Relu", "r", {"x"}, {"y"});
    return m;
}

}  // namespace

TEST(Numel, RejectsShapesBeyondTheLimitWithoutOverflow) {
    EXPECT_EQ(numel({}), 1);
    EXPECT_EQ(numel({3, 0, int64_t{1} << 62}), 0);
    EXPECT_EQ(numel({int64_t{1} << 14, int64_t{1} << 14}), kMaxTensorElements);
    EXPECT_THROW(numel({kMaxTensorElements, 2}), Error);
    EXPECT_THROW(numel({int64_t{1} << 32, int64_t{1} << 32, int64_t{1} << 32}), Error);
    EXPECT_THROW(numel({2, -1}), Error);
    EXPECT_THROW(Tensor({1000000, 1000000}), Error);
}

TEST(OnnxLimits, TeraElementInitializerIsAnErrorNamingFileAndTensor) {
    for (bool raw : {false, true}) {
        const std::string e = import_error(huge_initializer(raw));
        EXPECT_EQ(e.rfind("crafted.onnx: tensor 'huge': shape [1000000,1000000] has more than", 0),
                  0u)
            << e;
        EXPECT_NE(e.find("the limit of one tensor"), std::string::npos) << e;
    }
}

TEST(OnnxLimits, HugeGraphInputIsAnErrorNamingTheInput) {
    onnx::ModelProto m = base_model();
    auto* shape =
        m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->mutable_dim(2)->set_dim_value(1000000);
    shape->mutable_dim(3)->set_dim_value(1000000);
    add_node(m, "Relu", "r", {"x"}, {"y"});
    const std::string e = import_error(m);
    EXPECT_EQ(e.rfind("crafted.onnx: graph input 'x': shape [1,1,1000000,1000000] has more", 0), 0u)
        << e;
}

TEST(OnnxLimits, HugeActivationFromConvPadsIsAnErrorNamingTheNode) {
    onnx::ModelProto m = base_model();
    add_initializer(m, "w", {1, 1, 1, 1}, {1.0f});
    auto* n = add_node(m, "Conv", "big_pad", {"x", "w"}, {"y"});
    auto* pads = n->add_attribute();
    pads->set_name("pads");
    pads->set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) pads->add_ints(1000000);
    const std::string e = import_error(m);
    EXPECT_EQ(e.rfind("crafted.onnx: ", 0), 0u) << e;
    EXPECT_NE(e.find("big_pad"), std::string::npos) << e;
    EXPECT_NE(e.find("limit"), std::string::npos) << e;
}

TEST(OnnxLimits, CyclicGraphIsRejected) {
    onnx::ModelProto m = base_model();
    add_node(m, "Add", "a", {"x", "b_out"}, {"a_out"});
    add_node(m, "Relu", "b", {"a_out"}, {"b_out"});
    add_node(m, "Relu", "c", {"b_out"}, {"y"});
    const std::string e = import_error(m);
    EXPECT_EQ(e,
              "crafted.onnx: node 'a' (Add): input 'b_out' is produced by a later node (the nodes "
              "are not topologically sorted or form a cycle)");
}

TEST(OnnxLimits, SelfLoopIsRejected) {
    onnx::ModelProto m = base_model();
    add_node(m, "Add", "loop", {"x", "y"}, {"y"});
    EXPECT_NE(import_error(m).find("node 'loop' (Add): input 'y'"), std::string::npos);
}

TEST(OnnxLimits, TensorAssignedTwiceIsRejected) {
    onnx::ModelProto m = base_model();
    add_node(m, "Relu", "first", {"x"}, {"y"});
    add_node(m, "Relu", "second", {"x"}, {"y"});
    EXPECT_EQ(import_error(m),
              "crafted.onnx: node 'second' (Relu): output 'y' is already defined (every tensor "
              "must be assigned once)");
    onnx::ModelProto shadow = base_model();
    add_node(shadow, "Relu", "shadows_input", {"x"}, {"x"});
    EXPECT_NE(import_error(shadow).find("output 'x' is already defined"), std::string::npos);
}

TEST(OnnxLimits, NestedSubgraphIsRejected) {
    onnx::ModelProto m = base_model();
    auto* n = add_node(m, "Relu", "has_body", {"x"}, {"y"});
    auto* a = n->add_attribute();
    a->set_name("body");
    a->set_type(onnx::AttributeProto::GRAPH);
    *a->mutable_g() = base_model().graph();
    EXPECT_EQ(import_error(m),
              "crafted.onnx: node 'has_body' (Relu): attribute 'body' holds a subgraph; nested "
              "graphs (If/Loop/Scan bodies) are not supported");
    onnx::ModelProto loop = base_model();
    add_node(loop, "Loop", "l", {"x"}, {"y"});
    EXPECT_EQ(import_error(loop).rfind(
                  "crafted.onnx: unsupported op 'Loop' in node 'l' (control flow", 0),
              0u);
}

class OnnxLimitsCli : public TempDirTest {};

TEST_F(OnnxLimitsCli, ImportOfAHugeTensorExits2WithOneLineUnderAMemoryLimit) {
    const fs::path model = write("huge.onnx", bytes(huge_initializer(true)));
    // Through a shell so that the address space of the binary is capped at 2 GiB.
#ifdef __SANITIZE_ADDRESS__
    const std::string limit;  // AddressSanitizer reserves terabytes of address space up front
#else
    const std::string limit = "ulimit -v 2097152; ";
#endif
    const std::string cmd =
        limit + "exec " + std::string(SPARSECIM_BINARY) + " import " + model.string();
    const ProcResult r = run_binary({"--version"}, dir);  // the binary runs at all
    ASSERT_EQ(r.code, 0);
    const std::string err_file = (dir / "err").string();
    const int status = std::system(("bash -c '" + cmd + "' >/dev/null 2>" + err_file).c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);
    const std::string err = slurp(err_file);
    EXPECT_EQ(err, "sparsecim: error: " + model.string() +
                       ": tensor 'huge': shape [1000000,1000000] has more than 268435456 "
                       "elements, the limit of one tensor\n");
}

// libonnx's conv shape inference indexes its default dilations (sized by the input's spatial rank)
// by the kernel's rank: a 2-D tensor fed to a 2-D Conv crashed it (a fuzz finding). Now an error.
TEST(OnnxLimits, ConvOnATensorOfTheWrongRankIsAnError) {
    onnx::ModelProto m = base_model();
    add_initializer(m, "w", {2, 1, 3, 3}, std::vector<float>(18, 1.0f));
    add_node(m, "Flatten", "flat", {"x"}, {"f"});
    add_node(m, "Conv", "conv_on_2d", {"f", "w"}, {"y"});
    const std::string e = import_error(m);
    EXPECT_EQ(e.rfind("crafted.onnx: node 'conv_on_2d' (Conv): ", 0), 0u) << e;
}

// A zero stride reached libonnx's shape inference, which divides by it: SIGFPE (fuzz finding,
// fuzz/regressions/onnx_model/conv-stride-zero.onnx). Every window attribute is checked first.
TEST(OnnxLimits, ZeroStrideOrDilationOrKernelIsAnErrorNotACrash) {
    for (const char* name : {"strides", "dilations", "kernel_shape"}) {
        onnx::ModelProto m = base_model();
        add_initializer(m, "w", {2, 1, 3, 3}, std::vector<float>(18, 1.0f));
        onnx::NodeProto* n = add_node(m, "Conv", "conv0", {"x", "w"}, {"c"});
        add_node(m, "MaxPool", "pool0", {"c"}, {"y"});
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        a->add_ints(std::string(name) == "kernel_shape" ? 3 : 1);
        a->add_ints(0);
        const std::string e = import_error(m);
        EXPECT_EQ(e.rfind("crafted.onnx: node 'conv0' (Conv): " + std::string(name) +
                              " must be positive, got ",
                          0),
                  0u)
            << e;
    }
    onnx::ModelProto m = base_model();
    onnx::NodeProto* pool = add_node(m, "MaxPool", "pool0", {"x"}, {"y"});
    for (const char* name : {"kernel_shape", "strides"}) {
        auto* a = pool->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        a->add_ints(2);
        a->add_ints(std::string(name) == "strides" ? 0 : 2);
    }
    EXPECT_EQ(
        import_error(m).rfind("crafted.onnx: node 'pool0' (MaxPool): strides must be positive", 0),
        0u)
        << import_error(m);
}
