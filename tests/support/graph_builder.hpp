// A small in-memory graph builder for tests: named constants, and nodes named after their op and a
// counter (each with one output, "<name>_out").
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/graph.hpp"

namespace sparsecim::testing {

struct GraphBuilder {
    Graph g;

    GraphBuilder(std::string name, Shape input, int64_t opset) {
        g.name = std::move(name);
        g.opset = opset;
        g.inputs.push_back({"input", std::move(input)});
    }
    std::string constant(const std::string& name, Tensor t) {
        g.constants[name] = std::move(t);
        return name;
    }
    std::string node(OpKind op, std::vector<std::string> ins,
                     std::map<std::string, AttrValue> attrs = {}) {
        Node n;
        n.op = op;
        n.name = std::string(op_name(op)) + std::to_string(g.nodes.size());
        n.inputs = std::move(ins);
        n.outputs = {n.name + "_out"};
        n.attrs = std::move(attrs);
        g.nodes.push_back(std::move(n));
        return g.nodes.back().outputs[0];
    }
    Graph done(const std::string& out) {
        g.outputs = {out};
        return g;
    }
};

}  // namespace sparsecim::testing
