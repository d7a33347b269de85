// Reads pdagc's Chakra traces with the feeder of mlcommons/chakra, issuing nodes as the old
// ASTRA-sim workload layer did (each finished at once), and prints per rank what the feeder read.
// Exit 1: a node never became free (a dependency unresolved); 2, 3: a send or recv not on its own rank.
#include <cstdio>
#include <string>
#include "et_feeder.h"
using namespace Chakra;
int main(int argc, char** argv) {
  std::string prefix = argv[1];
  int ranks = std::stoi(argv[2]);
  for (int r = 0; r < ranks; r++) {
    ETFeeder f(prefix + "." + std::to_string(r) + ".et");
    unsigned long issued = 0, comp = 0, coll = 0, send = 0, recv = 0, cpu = 0;
    unsigned long long ops = 0, bytes = 0, comm = 0, p2p = 0, tagsum = 0, peersum = 0, pgsum = 0, dur = 0;
    while (f.hasNodesToIssue()) {
      auto n = f.getNextIssuableNode();
      if (!n) { printf("rank %d: stuck after %lu nodes (dependencies unresolved)\n", r, issued); return 1; }
      issued++;
      dur += n->runtime();
      if (n->is_cpu_op()) cpu++;
      switch (n->type()) {
        case ChakraProtoMsg::COMP_NODE: comp++; ops += n->num_ops(); bytes += n->tensor_size(); break;
        case ChakraProtoMsg::COMM_COLL_NODE: coll++; comm += n->comm_size(); pgsum += std::stoul(n->pg_name()); break;
        case ChakraProtoMsg::COMM_SEND_NODE: send++; p2p += n->comm_size(); tagsum += n->comm_tag(); peersum += n->comm_dst(); if (n->comm_src() != (uint32_t) r) return 2; break;
        case ChakraProtoMsg::COMM_RECV_NODE: recv++; p2p += n->comm_size(); tagsum += n->comm_tag(); peersum += n->comm_src(); if (n->comm_dst() != (uint32_t) r) return 3; break;
        default: printf("rank %d: unexpected type\n", r); return 4;
      }
      f.freeChildrenNodes(n->id());
      f.removeNode(n->id());
    }
    printf("rank %d nodes %lu comp %lu coll %lu send %lu recv %lu cpu %lu num_ops %llu tensor_size %llu comm_size %llu p2p %llu duration_us %llu\n",
           r, issued, comp, coll, send, recv, cpu, ops, bytes, comm, p2p, dur);
  }
  return 0;
}
