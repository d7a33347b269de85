// Reads pdagc's Chakra traces with ASTRA-sim's FeederV3, issuing nodes as ASTRA-sim's Workload
// does (dependency-free nodes, lowest id first, each finished at once).
#include <cstdio>
#include <set>
#include <string>
#include "et_feeder.h"
using namespace Chakra::FeederV3;
int main(int argc, char** argv) {
  std::string prefix = argv[1];
  int ranks = std::stoi(argv[2]);
  for (int r = 0; r < ranks; r++) {
    ETFeeder f(prefix + "." + std::to_string(r) + ".et");
    auto& dep = f.getDependancyResolver();
    unsigned long issued = 0, comp = 0, coll = 0, send = 0, recv = 0, cpu = 0;
    unsigned long long ops = 0, bytes = 0, comm = 0, p2p = 0, dur = 0;
    while (!dep.get_dependancy_free_nodes().empty()) {
      // as ASTRA-sim's Workload::issue_dep_free_nodes: the free nodes, ascending
      std::set<uint64_t> free(dep.get_dependancy_free_nodes().begin(), dep.get_dependancy_free_nodes().end());
      for (uint64_t id : free) {
        auto n = f.lookupNode(id);
        dep.take_node(id);
        issued++;
        dur += n->runtime();
        if (n->is_cpu_op<bool>(false)) cpu++;
        switch (n->type()) {
          case ChakraProtoMsg::COMP_NODE: comp++; ops += n->num_ops<uint64_t>(); bytes += n->tensor_size<uint64_t>(); break;
          case ChakraProtoMsg::COMM_COLL_NODE: coll++; comm += n->comm_size<uint64_t>(); (void) std::stoi(n->pg_name<std::string>("")); (void) n->comm_type<uint64_t>(); break;
          case ChakraProtoMsg::COMM_SEND_NODE: send++; p2p += n->comm_size<uint64_t>(); if (n->comm_src<uint32_t>(r) != (uint32_t) r) return 2; (void) n->comm_dst<uint32_t>(); (void) n->comm_tag<uint32_t>(); break;
          case ChakraProtoMsg::COMM_RECV_NODE: recv++; p2p += n->comm_size<uint64_t>(); if (n->comm_dst<uint32_t>(r) != (uint32_t) r) return 3; (void) n->comm_src<uint32_t>(); (void) n->comm_tag<uint32_t>(); break;
          default: return 4;
        }
        dep.finish_node(id);
      }
    }
    printf("rank %d nodes %lu comp %lu coll %lu send %lu recv %lu cpu %lu num_ops %llu tensor_size %llu comm_size %llu p2p %llu duration_us %llu\n",
           r, issued, comp, coll, send, recv, cpu, ops, bytes, comm, p2p, dur);
  }
  return 0;
}
