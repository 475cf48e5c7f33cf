// ONNX import/export: round trips of the zoo, BatchNorm folding, Constant-node weights, tensor
// files, and one error per kind of bad input (each message names the file and the culprit).
#include <gtest/gtest.h>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "infer/float_infer.hpp"
#include "model/zoo.hpp"

using namespace sparsecim;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed at the end.
class TempDir {
  public:
    TempDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = fs::temp_directory_path() /
                ("sparsecim_onnx_io_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    fs::path operator/(const std::string& f) const { return path_ / f; }

  private:
    fs::path path_;
};

Tensor seeded_input(int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    Tensor t({n, 1, 28, 28});
    for (float& v : t.data) v = static_cast<float>(rng() >> 40) / 16777216.0f;  // [0,1)
    return t;
}

Tensor logits(const Graph& g, const Tensor& x) {
    return run_graph(g, {{"input", x}}).at("logits");
}

// Message check: the Error's text contains every one of `parts`.
template <typename F>
void expect_error(F f, std::initializer_list<std::string> parts) {
    try {
        f();
        ADD_FAILURE() << "no Error thrown";
    } catch (const Error& e) {
        const std::string msg = e.what();
        for (const auto& p : parts)
            EXPECT_NE(msg.find(p), std::string::npos) << msg << " lacks " << p;
    }
}

void expect_same_graph(const Graph& a, const Graph& b) {
    ASSERT_EQ(a.nodes.size(), b.nodes.size());
    for (size_t i = 0; i < a.nodes.size(); ++i) {
        const Node& x = a.nodes[i];
        const Node& y = b.nodes[i];
        EXPECT_EQ(x.op, y.op) << x.name;
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.inputs, y.inputs) << x.name;
        EXPECT_EQ(x.outputs, y.outputs) << x.name;
        EXPECT_EQ(x.attrs, y.attrs) << x.name;
    }
    ASSERT_EQ(a.constants.size(), b.constants.size());
    for (const auto& [name, t] : a.constants) {
        ASSERT_TRUE(b.is_constant(name)) << name;
        EXPECT_EQ(t.shape, b.constant(name).shape) << name;
        EXPECT_EQ(t.data, b.constant(name).data) << name;
    }
    ASSERT_EQ(a.inputs.size(), b.inputs.size());
    for (size_t i = 0; i < a.inputs.size(); ++i) {
        EXPECT_EQ(a.inputs[i].name, b.inputs[i].name);
        EXPECT_EQ(a.inputs[i].shape, b.inputs[i].shape);
    }
    EXPECT_EQ(a.outputs, b.outputs);
    EXPECT_EQ(a.opset, b.opset);
}

// A minimal valid model: y = Relu(x), x [1,2].
onnx::ModelProto relu_model() {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto* g = m.mutable_graph();
    g->set_name("relu");
    auto* in = g->add_input();
    in->set_name("x");
    in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_param("N");
    in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(2);
    auto* n = g->add_node();
    n->set_op_type("Relu");
    n->set_name("the_relu");
    n->add_input("x");
    n->add_output("y");
    g->add_output()->set_name("y");
    return m;
}

void write_model(const onnx::ModelProto& m, const fs::path& p) {
    write_file_atomic(p, m.SerializeAsString());
}

}  // namespace

TEST(OnnxIo, ZooRoundTripKeepsNodesConstantsAndOutputs) {
    TempDir dir;
    ImportOptions no_fold;
    no_fold.fold_batchnorm = false;
    const Tensor x = seeded_input(3, 11);
    for (const auto& name : zoo_names()) {
        SCOPED_TRACE(name);
        const Graph g = make_zoo_model(name, 42);
        const fs::path p = dir / (name + ".onnx");
        export_onnx(g, p);
        const Graph back = import_onnx(p, no_fold);
        EXPECT_EQ(back.source, p.string());
        expect_same_graph(g, back);
        const Tensor a = logits(g, x), b = logits(back, x);
        EXPECT_EQ(a.shape, (Shape{3, 10}));
        EXPECT_EQ(a.shape, b.shape);
        EXPECT_EQ(a.data, b.data);  // bit-identical: same graph, same kernels
        // Bytes are deterministic too.
        EXPECT_EQ(export_onnx_bytes(g), export_onnx_bytes(back));
    }
}

TEST(OnnxIo, ExportedZooPassesOnnxCheckerAndShapeInference) {
    for (const auto& name : zoo_names()) {
        SCOPED_TRACE(name);
        onnx::ModelProto m;
        ASSERT_TRUE(m.ParseFromString(export_onnx_bytes(make_zoo_model(name, 1))));
        EXPECT_EQ(m.ir_version(), 8);
        ASSERT_EQ(m.opset_import_size(), 1);
        EXPECT_EQ(m.opset_import(0).version(), 13);
        EXPECT_NO_THROW(onnx::checker::check_model(m));
        // Strict, type-checking shape inference: every node's types and shapes must agree.
        EXPECT_NO_THROW(onnx::shape_inference::InferShapes(
            m, onnx::OpSchemaRegistry::Instance(), onnx::ShapeInferenceOptions(true, 1, true)));
        const auto& out = m.graph().output(0).type().tensor_type().shape();
        ASSERT_EQ(out.dim_size(), 2);
        EXPECT_EQ(out.dim(1).dim_value(), 10);
    }
}

TEST(OnnxIo, BatchNormFoldingChangesNothingBeyond1e5) {
    TempDir dir;
    const Tensor x = seeded_input(4, 5);
    for (const auto& name : {"tiny-cnn", "resnet-mini"}) {
        SCOPED_TRACE(name);
        const Graph g = make_zoo_model(name, 3);
        size_t bn_count = 0;
        for (const auto& n : g.nodes) bn_count += n.op == OpKind::BatchNormalization;
        ASSERT_GT(bn_count, 0u);
        const fs::path p = dir / (std::string(name) + ".onnx");
        export_onnx(g, p);
        const Graph folded = import_onnx(p);  // fold_batchnorm defaults to true
        EXPECT_EQ(folded.nodes.size(), g.nodes.size() - bn_count);
        for (const auto& n : folded.nodes) EXPECT_NE(n.op, OpKind::BatchNormalization) << n.name;
        for (const auto& n : folded.nodes)
            if (n.op == OpKind::Conv) {
                ASSERT_EQ(n.inputs.size(), 3u) << n.name;  // a bias was created where missing
                EXPECT_TRUE(folded.is_constant(n.inputs[2]));
            }
        const Tensor a = logits(g, x), b = logits(folded, x);
        ASSERT_EQ(a.shape, b.shape);
        double worst = 0, spread = 0;
        for (int64_t i = 0; i < a.size(); ++i) {
            worst = std::max(worst, std::fabs(a.data[i] - b.data[i]) /
                                        std::max(1.0, std::fabs(static_cast<double>(a.data[i]))));
            spread = std::max(spread, std::fabs(static_cast<double>(a.data[i])));
        }
        EXPECT_LE(worst, 1e-5);
        EXPECT_GT(spread, 1e-3);  // the outputs are not trivially zero
    }
}

TEST(OnnxIo, BatchNormNotFoldedWhenConvOutputHasAnotherConsumer) {
    TempDir dir;
    Graph g = make_zoo_model("tiny-cnn", 1);
    // conv1's output also becomes a graph output: folding would change it, so BN must stay.
    g.outputs.push_back("conv1_out");
    const fs::path p = dir / "shared.onnx";
    export_onnx(g, p);
    const Graph imported = import_onnx(p);
    size_t bn = 0;
    for (const auto& n : imported.nodes) bn += n.op == OpKind::BatchNormalization;
    EXPECT_EQ(bn, 1u);
    const Tensor x = seeded_input(1, 2);
    EXPECT_EQ(run_graph(g, {{"input", x}}).at("logits").data,
              run_graph(imported, {{"input", x}}).at("logits").data);
}

TEST(OnnxIo, ConstantNodeWeightsImport) {
    // y = Conv(x, W) + b with W and b from Constant nodes (value tensor in raw_data, value_floats).
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto* g = m.mutable_graph();
    auto* in = g->add_input();
    in->set_name("x");
    auto* shp = in->mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int64_t d : {1, 1, 2, 2}) shp->add_dim()->set_dim_value(d);
    auto* cw = g->add_node();
    cw->set_op_type("Constant");
    cw->add_output("W");
    auto* a = cw->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    auto* t = a->mutable_t();
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : {1, 1, 2, 2}) t->add_dims(d);
    const float w[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    t->set_raw_data(std::string(reinterpret_cast<const char*>(w), sizeof(w)));
    auto* cb = g->add_node();
    cb->set_op_type("Constant");
    cb->add_output("B");
    auto* ab = cb->add_attribute();
    ab->set_name("value_floats");
    ab->set_type(onnx::AttributeProto::FLOATS);
    ab->add_floats(0.5f);
    auto* conv = g->add_node();
    conv->set_op_type("Conv");
    conv->set_name("conv");
    for (const char* s : {"x", "W", "B"}) conv->add_input(s);
    conv->add_output("y");
    g->add_output()->set_name("y");

    const Graph imported = import_onnx_bytes(m.SerializeAsString(), "mem.onnx");
    ASSERT_EQ(imported.nodes.size(), 1u);
    EXPECT_TRUE(imported.is_constant("W"));
    EXPECT_TRUE(imported.is_constant("B"));
    EXPECT_EQ(imported.constant("W").shape, (Shape{1, 1, 2, 2}));
    EXPECT_TRUE(is_weight_layer(imported, imported.nodes[0]));
    ASSERT_EQ(imported.inputs.size(), 1u);
    const auto out = run_graph(imported, {{"x", Tensor({1, 1, 2, 2}, {1, 1, 1, 2})}});
    // 1*1 + 2*1 + 3*1 + 4*2 + 0.5
    EXPECT_EQ(out.at("y").shape, (Shape{1, 1, 1, 1}));
    EXPECT_FLOAT_EQ(out.at("y").data[0], 14.5f);
}

TEST(OnnxIo, InitializerListedAsInputIsNotARealInputAndInt64Converts) {
    onnx::ModelProto m = relu_model();
    auto* g = m.mutable_graph();
    // Reshape y by an int64 initializer that is also (old-style) listed as a graph input.
    auto* shape = g->add_initializer();
    shape->set_name("shape");
    shape->set_data_type(onnx::TensorProto::INT64);
    shape->add_dims(1);
    shape->add_int64_data(-1);
    g->add_input()->set_name("shape");
    auto* r = g->add_node();
    r->set_op_type("Reshape");
    r->add_input("y");
    r->add_input("shape");
    r->add_output("z");
    g->mutable_output(0)->set_name("z");
    const Graph imported = import_onnx_bytes(m.SerializeAsString(), "m.onnx");
    ASSERT_EQ(imported.inputs.size(), 1u);
    EXPECT_EQ(imported.inputs[0].name, "x");
    EXPECT_EQ(imported.inputs[0].shape, (Shape{-1, 2}));
    EXPECT_EQ(imported.constant("shape").data, std::vector<float>{-1.0f});
    EXPECT_EQ(imported.nodes[1].name, "#1");  // unnamed node gets its index
    const auto out = run_graph(imported, {{"x", Tensor({2, 2}, {-1, 2, 3, -4})}});
    EXPECT_EQ(out.at("z").shape, (Shape{4}));
    EXPECT_EQ(out.at("z").data, (std::vector<float>{0, 2, 3, 0}));
}

// Div truncates where import traces an integer element type (an integer graph input or
// constant, a Cast to an integer type), also when it folds at import; float Div does not.
TEST(OnnxIo, IntegerTypedDivTruncatesTowardZero) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto* g = m.mutable_graph();
    auto input = [&](const std::string& name, int type) {
        auto* vi = g->add_input();
        vi->set_name(name);
        vi->mutable_type()->mutable_tensor_type()->set_elem_type(type);
        vi->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(3);
    };
    input("x", onnx::TensorProto::INT64);
    input("f", onnx::TensorProto::FLOAT);
    auto scalar = [&](const std::string& name, int type, int64_t v) {
        auto* t = g->add_initializer();
        t->set_name(name);
        t->set_data_type(type);
        if (type == onnx::TensorProto::INT64)
            t->add_int64_data(v);
        else if (type == onnx::TensorProto::INT32)
            t->add_int32_data(static_cast<int32_t>(v));
        else
            t->add_float_data(static_cast<float>(v));
    };
    scalar("two", onnx::TensorProto::INT64, 2);
    scalar("two32", onnx::TensorProto::INT32, 2);
    scalar("twof", onnx::TensorProto::FLOAT, 2);
    scalar("seven", onnx::TensorProto::INT64, -7);
    auto node = [&](const std::string& op, std::vector<std::string> ins, const std::string& out) {
        auto* n = g->add_node();
        n->set_op_type(op);
        n->set_name(op + "_" + out);
        for (const auto& i : ins) n->add_input(i);
        n->add_output(out);
        return n;
    };
    node("Div", {"x", "two"}, "q");
    node("Div", {"f", "twof"}, "r");
    auto* cast = node("Cast", {"f"}, "fi");
    auto* to = cast->add_attribute();
    to->set_name("to");
    to->set_type(onnx::AttributeProto::INT);
    to->set_i(onnx::TensorProto::INT32);
    node("Div", {"fi", "two32"}, "s");
    node("Div", {"seven", "two"}, "c");  // all constant: folded at import
    for (const char* out : {"q", "r", "s", "c"}) g->add_output()->set_name(out);
    const Graph imported = import_onnx_bytes(m.SerializeAsString(), "div.onnx");
    EXPECT_TRUE(imported.is_constant("c"));
    const Tensor v({3}, {-7, 7, 9});
    const auto out = run_graph(imported, {{"x", v}, {"f", v}});
    EXPECT_EQ(out.at("q").data, (std::vector<float>{-3, 3, 4}));
    EXPECT_EQ(out.at("r").data, (std::vector<float>{-3.5f, 3.5f, 4.5f}));
    EXPECT_EQ(out.at("s").data, (std::vector<float>{-3, 3, 4}));
    EXPECT_EQ(out.at("c").data, (std::vector<float>{-3}));
    // An integer division by zero is an error naming the node, not an infinity.
    Graph by_zero = imported;
    by_zero.constants.at("two32").data = {0};
    try {
        run_graph(by_zero, {{"x", v}, {"f", v}});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("node 'Div_s'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos) << e.what();
    }
}

TEST(OnnxIo, GemmWeightLayerKeepsAttributes) {
    const Graph g = make_zoo_model("lenet", 9);
    TempDir dir;
    export_onnx(g, dir / "lenet.onnx");
    const Graph back = import_onnx(dir / "lenet.onnx");
    int gemms = 0;
    for (const auto& n : back.nodes)
        if (n.op == OpKind::Gemm) {
            ++gemms;
            EXPECT_TRUE(is_weight_layer(back, n));
            EXPECT_EQ(n.attr_int("transB", 0), 1);
            EXPECT_EQ(n.attrs.count("transA"), 0u);
        }
    EXPECT_EQ(gemms, 2);
}

TEST(OnnxIo, ReadTensorPbConvertsDtypes) {
    TempDir dir;
    onnx::TensorProto t;
    t.set_name("ints");
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(2);
    t.add_dims(2);
    for (int64_t v : {1, -2, 3, 1 << 20}) t.add_int64_data(v);
    write_file_atomic(dir / "t.pb", t.SerializeAsString());
    const Tensor r = read_tensor_pb(dir / "t.pb");
    EXPECT_EQ(r.shape, (Shape{2, 2}));
    EXPECT_EQ(r.data, (std::vector<float>{1, -2, 3, 1 << 20}));

    onnx::TensorProto d;
    d.set_data_type(onnx::TensorProto::DOUBLE);
    d.add_dims(2);
    const double dv[2] = {0.25, -8.0};
    d.set_raw_data(std::string(reinterpret_cast<const char*>(dv), sizeof(dv)));
    write_file_atomic(dir / "d.pb", d.SerializeAsString());
    EXPECT_EQ(read_tensor_pb(dir / "d.pb").data, (std::vector<float>{0.25f, -8.0f}));

    onnx::TensorProto bad;
    bad.set_name("short");
    bad.set_data_type(onnx::TensorProto::FLOAT);
    bad.add_dims(3);
    bad.add_float_data(1.0f);
    write_file_atomic(dir / "bad.pb", bad.SerializeAsString());
    expect_error([&] { read_tensor_pb(dir / "bad.pb"); }, {(dir / "bad.pb").string(), "'short'"});
}

TEST(OnnxIoErrors, MissingFile) {
    TempDir dir;
    const fs::path p = dir / "nope.onnx";
    expect_error([&] { import_onnx(p); }, {p.string(), "not found"});
}

TEST(OnnxIoErrors, TruncatedFile) {
    TempDir dir;
    const std::string bytes = export_onnx_bytes(make_zoo_model("tiny-cnn", 1));
    const fs::path p = dir / "half.onnx";
    write_file_atomic(p, bytes.substr(0, bytes.size() / 2));
    expect_error([&] { import_onnx(p); }, {p.string(), "not a valid ONNX model"});
}

TEST(OnnxIoErrors, GarbageBytes) {
    TempDir dir;
    const fs::path p = dir / "garbage.onnx";
    write_file_atomic(p, std::string("this is not an onnx model\xff\xff\xff\x07", 29));
    expect_error([&] { import_onnx(p); }, {p.string(), "not a valid ONNX model"});
}

TEST(OnnxIoErrors, ModelWithoutGraph) {
    TempDir dir;
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.set_producer_name("test");
    const fs::path p = dir / "nograph.onnx";
    write_model(m, p);
    expect_error([&] { import_onnx(p); }, {p.string(), "no graph"});
}

TEST(OnnxIoErrors, WeightSizeDisagreesWithDims) {
    TempDir dir;
    onnx::ModelProto m = relu_model();
    auto* w = m.mutable_graph()->add_initializer();
    w->set_name("fc.weight");
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(3);
    w->add_dims(4);
    for (int i = 0; i < 11; ++i) w->add_float_data(0.5f);
    const fs::path p = dir / "badweight.onnx";
    write_model(m, p);
    expect_error([&] { import_onnx(p); }, {p.string(), "'fc.weight'", "float_data", "11", "12"});
}

// An op inference does not know is imported (its weight layers can still be mapped); running the
// graph is the error, naming op, node and file.
TEST(OnnxIoErrors, UnsupportedOpImportsButInferenceNamesOpNodeAndFile) {
    TempDir dir;
    onnx::ModelProto m = relu_model();
    m.mutable_graph()->mutable_node(0)->set_op_type("MadeUpOp");
    const fs::path p = dir / "madeup.onnx";
    write_model(m, p);
    const Graph g = import_onnx(p);
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0].op, OpKind::Unknown);
    EXPECT_EQ(g.nodes[0].type(), "MadeUpOp");
    ASSERT_NE(first_unsupported_node(g), nullptr);
    const TensorMap in = {{g.inputs[0].name, Tensor({1, 2}, 1.0f)}};
    expect_error([&] { run_graph(g, in); },
                 {p.string(), "unsupported op 'MadeUpOp'", "'the_relu'"});
    // An unnamed node is named by its index; a custom domain is part of the op's name.
    m.mutable_graph()->mutable_node(0)->clear_name();
    m.mutable_graph()->mutable_node(0)->set_domain("com.vendor");
    write_model(m, p);
    const Graph g2 = import_onnx(p);
    expect_error([&] { run_graph(g2, in); }, {p.string(), "'com.vendor.MadeUpOp'", "'#0'"});
    // Written back out, the unknown node keeps its type and domain.
    const Graph g3 = import_onnx_bytes(export_onnx_bytes(g2), "again.onnx");
    ASSERT_EQ(g3.nodes.size(), 1u);
    EXPECT_EQ(g3.nodes[0].type(), "com.vendor.MadeUpOp");
}

TEST(OnnxIoErrors, UndefinedInputAndUnsortedNodes) {
    onnx::ModelProto m = relu_model();
    m.mutable_graph()->mutable_node(0)->set_input(0, "ghost");
    expect_error([&] { import_onnx_bytes(m.SerializeAsString(), "u.onnx"); },
                 {"u.onnx", "'the_relu'", "'ghost'"});

    onnx::ModelProto s = relu_model();
    auto* g = s.mutable_graph();
    // second node consumes y2 which a later node produces
    auto* first = g->add_node();
    first->set_op_type("Relu");
    first->set_name("early");
    first->add_input("y2");
    first->add_output("y3");
    auto* late = g->add_node();
    late->set_op_type("Relu");
    late->set_name("late");
    late->add_input("y");
    late->add_output("y2");
    expect_error([&] { import_onnx_bytes(s.SerializeAsString(), "s.onnx"); },
                 {"s.onnx", "'early'", "topologically"});
}

TEST(OnnxIoErrors, ExportToUnwritablePathLeavesNothing) {
    TempDir dir;
    const fs::path blocker = dir / "file";
    write_file_atomic(blocker, "x");
    // A path under a regular file cannot be created.
    EXPECT_THROW(export_onnx(make_zoo_model("lenet", 1), blocker / "m.onnx"), Error);
}
