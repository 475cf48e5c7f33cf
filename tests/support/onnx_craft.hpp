// Crafting (hostile) ONNX files in tests with ONNX's own protobuf classes.
#pragma once

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace sparsecim::testing {

// A model with graph input "x" [1,1,28,28] and output "y"; tests add nodes and initializers.
inline onnx::ModelProto base_model() {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto* g = m.mutable_graph();
    g->set_name("crafted");
    auto* in = g->add_input();
    in->set_name("x");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : {1, 1, 28, 28}) tt->mutable_shape()->add_dim()->set_dim_value(d);
    g->add_output()->set_name("y");
    return m;
}

inline onnx::NodeProto* add_node(onnx::ModelProto& m, const std::string& op,
                                 const std::string& name, std::vector<std::string> ins,
                                 std::vector<std::string> outs) {
    auto* n = m.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : ins) n->add_input(i);
    for (auto& o : outs) n->add_output(o);
    return n;
}

// A float initializer with the given dims and values (none: no data at all).
inline onnx::TensorProto* add_initializer(onnx::ModelProto& m, const std::string& name,
                                          std::vector<int64_t> dims,
                                          std::vector<float> values = {}) {
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return t;
}

inline std::string bytes(const onnx::ModelProto& m) {
    std::string s;
    EXPECT_TRUE(m.SerializeToString(&s));
    return s;
}

}  // namespace sparsecim::testing
