#include <gtest/gtest.h>
#include <signal.h>

#include "triage/classify.h"

namespace faultline {
namespace {

CrashSnapshot segv(uint64_t addr, uint64_t sp, std::vector<MapEntry> maps, int thread = 0) {
  CrashSnapshot s;
  s.signo = SIGSEGV;
  s.si_code = SEGV_MAPERR;
  s.fault_address = addr;
  s.sp = sp;
  s.maps = std::move(maps);
  s.thread_index = thread;
  return s;
}

const MapEntry kGuard{0x7f0000000000, 0x7f0000001000, "---p", ""};
const MapEntry kThreadStack{0x7f0000001000, 0x7f0000041000, "rw-p", ""};
const MapEntry kMainStack{0x7ffd00000000, 0x7ffd00040000, "rw-p", "[stack]"};
const MapEntry kHeap{0x560000000000, 0x560000100000, "rw-p", "[heap]"};

TEST(StackGuard, ThreadGuardPageHitNearItsStackPointer) {
  auto s = segv(0x7f0000000ff8, 0x7f0000001000, {kGuard, kThreadStack}, 2);
  s.fs_base = kThreadStack.end - 0x900;  // glibc's thread descriptor, at the top of the stack it allocated
  s.program = "parserd";
  s.thread_name = "worker";
  auto hit = stack_guard_hit(s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->region, "guard page below the pthread stack of thread 2 \"worker\"");
  EXPECT_EQ(hit->kind, StackKind::Thread);
  EXPECT_EQ(hit->stack_size, 0x40000u);  // the guard is not stack
  s.thread_name = "parserd";  // unnamed: it kept the process's name
  EXPECT_EQ(stack_guard_hit(s)->region, "guard page below the pthread stack of thread 2");
}

TEST(StackGuard, MainStackGuardGapUnderRlimit) {
  auto s = segv(0x7ffcfffffff0, 0x7ffd00000010, {kHeap, kMainStack});
  s.stack_rlimit = 256 * 1024;
  auto hit = stack_guard_hit(s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->region, "guard gap below the main stack");
  EXPECT_EQ(hit->stack_size, 256u * 1024);
}

TEST(StackGuard, FaultsFarFromTheStackPointerAreNotStackExhaustion) {
  // A wild write into some other thread's guard page, from a thread whose sp is elsewhere.
  EXPECT_FALSE(stack_guard_hit(segv(0x7f0000000ff8, 0x7ffd00000100, {kGuard, kThreadStack, kMainStack})));
  EXPECT_FALSE(stack_guard_hit(segv(0x100000000000, 0x7ffd00000100, {kMainStack})));
  EXPECT_FALSE(stack_guard_hit(segv(0x0, 0x7ffd00000100, {kMainStack})));
}

TEST(StackGuard, SegmentMergedWithItsNeighbourEndsWhereItsFramesDo) {
  // A 256 KiB stack segment (makecontext, stacker) whose mapping the kernel
  // merged with 1 MiB of unrelated memory above it: one VMA of 1.25 MiB.
  const MapEntry guard{0x7e0000000000, 0x7e0000001000, "---p", ""};
  const MapEntry merged{0x7e0000001000, 0x7e0000001000 + 0x40000 + 0x100000, "rw-p", ""};
  auto s = segv(0x7e0000000ff0, 0x7e0000001010, {guard, merged, kThreadStack}, 1);
  s.fs_base = kThreadStack.end - 0x900;  // the thread's own stack is elsewhere
  s.stack_run = {merged.start - 0x1000, merged.end, 0x7e0000001000 + 0x40000 - 0x10, 512, true, "__start_context"};
  auto hit = stack_guard_hit(s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->kind, StackKind::Segment);
  EXPECT_EQ(hit->stack_size, 0x40000u);
  EXPECT_EQ(hit->region,
            "guard page below a 256K stack segment of thread 1 (an anonymous mapping, not its pthread stack, "
            "started in __start_context)");
  s.stack_run.complete = false;  // the frames ran out before its start: the mapping is all we know
  EXPECT_EQ(stack_guard_hit(s)->stack_size, merged.end - merged.start);
}

TEST(StackGuard, SigaltstackFromTheSignalFrame) {
  const MapEntry alt{0x7e0000001000, 0x7e0000011000, "rw-p", ""};
  auto s = segv(0x7e0000000ff8, 0x7e0000001008, {kGuard, alt, kMainStack});
  s.altstack_low = alt.start;
  s.altstack_high = alt.end;
  auto hit = stack_guard_hit(s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->kind, StackKind::Altstack);
  EXPECT_EQ(hit->region, "guard page below the sigaltstack of the main thread");
  EXPECT_EQ(hit->stack_size, 0x10000u);
}

TEST(Classify, NullWildAndGeneralProtection) {
  EXPECT_EQ(classify_snapshot(segv(0x10, 0x7ffd00000100, {kMainStack}), "").cls, CrashClass::NullDereference);
  EXPECT_EQ(classify_snapshot(segv(0xffff, 0x7ffd00000100, {kMainStack}), "").cls, CrashClass::NullDereference);
  EXPECT_EQ(classify_snapshot(segv(0x10000, 0x7ffd00000100, {kMainStack}), "").cls, CrashClass::WildAccess);
  auto gp = segv(0, 0x7ffd00030000, {kMainStack});
  gp.si_code = SI_KERNEL;  // non-canonical pointer: no address, not a null dereference
  EXPECT_EQ(classify_snapshot(gp, "").cls, CrashClass::WildAccess);
}

TEST(StackGuard, KernelFindsNoRoomForASignalFrame) {
  // SI_KERNEL SIGSEGV while delivering a signal on a stack that is all used up.
  auto at_bottom = segv(0, 0x7ffd00000100, {kMainStack});
  at_bottom.si_code = SI_KERNEL;
  auto c = classify_snapshot(at_bottom, "");
  EXPECT_EQ(c.cls, CrashClass::StackExhaustion);
  EXPECT_EQ(c.region, "no room for a signal frame at the bottom of the main stack");
  auto in_thread = segv(0, 0x7f0000001800, {kGuard, kThreadStack}, 3);
  in_thread.si_code = SI_KERNEL;
  in_thread.fs_base = kThreadStack.end - 0x900;
  EXPECT_EQ(classify_snapshot(in_thread, "").cls, CrashClass::StackExhaustion);
  auto roomy = segv(0, 0x7f0000030000, {kGuard, kThreadStack}, 3);
  roomy.si_code = SI_KERNEL;
  roomy.fs_base = kThreadStack.end - 0x900;
  EXPECT_EQ(classify_snapshot(roomy, "").cls, CrashClass::WildAccess);
}

TEST(Classify, ASegvSentByAProcessIsNoFaultOfAnAccess) {
  auto sent = segv(0, 0x7ffd00000100, {kMainStack});
  sent.si_code = SI_USER;  // kill(pid, SIGSEGV)
  auto c = classify_snapshot(sent, "");
  EXPECT_EQ(c.cls, CrashClass::WildAccess);  // DESIGN: any other SIGSEGV
  EXPECT_EQ(c.region, "no fault: the signal was sent by a process (kill, raise or tgkill), not raised by an access");
}

TEST(Classify, FaultInsideGlibcMallocIsHeapCorruption) {
  auto s = segv(0x4141414141, 0x7ffd00000100, {kMainStack});
  Frame top;
  top.function = "_int_malloc";
  top.module = "libc.so.6";
  s.frames = {top};
  auto c = classify_snapshot(s, "");
  EXPECT_EQ(c.cls, CrashClass::HeapCorruption);
  EXPECT_EQ(c.allocator, "glibc");
}

TEST(Classify, FaultAnywhereInASwappedInAllocatorIsHeapCorruptionNamingIt) {
  auto s = segv(0x4141414141, 0x7ffd00030000, {kMainStack});
  Frame top;
  top.module = "libjemalloc.so.2";  // stripped: no function name
  s.frames = {top};
  auto c = classify_snapshot(s, "");
  EXPECT_EQ(c.cls, CrashClass::HeapCorruption);
  EXPECT_EQ(c.allocator, "jemalloc");
  Frame libc_other;
  libc_other.module = "libc.so.6";
  libc_other.function = "memcpy";
  s.frames = {libc_other};
  EXPECT_NE(classify_snapshot(s, "").cls, CrashClass::HeapCorruption) << "libc is not all allocator";
}

TEST(Classify, AllocatorAbortMessages) {
  for (const char* msg : {"free(): double free detected in tcache 2", "malloc(): unaligned tcache chunk detected",
                          "double free or corruption (fasttop)", "corrupted size vs. prev_size",
                          "munmap_chunk(): invalid pointer", "malloc_consolidate(): invalid chunk size"}) {
    auto a = find_allocator_abort(std::string("some output\n") + msg + "\n");
    ASSERT_TRUE(a) << msg;
    EXPECT_EQ(a->allocator, "glibc");
    EXPECT_EQ(a->message, msg);
  }
  EXPECT_FALSE(find_allocator_abort("calling free() twice is bad\nAssertion `x' failed.\n"));
  struct Other {
    const char* line;
    const char* allocator;
  };
  for (const auto& o : std::vector<Other>{
           {"<jemalloc>: size mismatch detected (true size 640 vs input size 44800)", "jemalloc"},
           {"src/tcmalloc.cc:333] Attempt to free invalid pointer 0x55d0c0a00010 ", "tcmalloc"},
           {"mimalloc: error: double free detected of block 0x7f1b00010080 with size 32", "mimalloc"}}) {
    auto a = find_allocator_abort(std::string(o.line) + "\n");
    ASSERT_TRUE(a) << o.line;
    EXPECT_EQ(a->allocator, o.allocator);
  }
  CrashSnapshot abrt;
  abrt.signo = SIGABRT;
  EXPECT_EQ(classify_snapshot(abrt, "free(): invalid pointer\n").cls, CrashClass::HeapCorruption);
  EXPECT_EQ(classify_snapshot(abrt, "terminate called after throwing an instance of 'std::bad_alloc'\n").cls,
            CrashClass::Oom);
  EXPECT_EQ(classify_snapshot(abrt, "main.c:3: main: Assertion `0' failed.\n").cls, CrashClass::Abort);
}

}  // namespace
}  // namespace faultline
