// RUN: sieve-opt %s -split-input-file -verify-diagnostics -sieve-lower-parallel-launches | FileCheck %s

// A launch of sieve-outline-parallel after the bare-pointer lowering: the
// operands go into a context on the stack, and the hook (or, when it is
// NULL, the serial loop) gets 6 tasks, 3 workers, the task function and
// the context.
llvm.func @m_run(%in: !llvm.ptr, %out: !llvm.ptr, %arena: !llvm.ptr) -> i32 attributes {sieve.entry} {
  %s = llvm.mlir.constant(2.0 : f32) : f32
  llvm.call @body_launch(%in, %s, %arena) : (!llvm.ptr, f32, !llvm.ptr) -> ()
  %z = llvm.mlir.constant(0 : i32) : i32
  llvm.return %z : i32
}
llvm.func internal @body(%task: i64, %worker: i64, %in: !llvm.ptr, %s: f32, %scratch: !llvm.ptr) {
  llvm.return
}
llvm.func @body_launch(!llvm.ptr, f32, !llvm.ptr) attributes {sieve.parallel_max_workers = 3 : i64, sieve.parallel_task = @body, sieve.parallel_tasks = 6 : i64, sym_visibility = "private"}

// The serial entry point calls the parallel one without a hook.
// CHECK-LABEL: llvm.func @m_run(
// CHECK-SAME: %[[A0:.*]]: !llvm.ptr, %[[A1:.*]]: !llvm.ptr, %[[A2:.*]]: !llvm.ptr) -> i32
// CHECK:      %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK:      %[[R:.*]] = llvm.call @m_run_parallel(%[[A0]], %[[A1]], %[[A2]], %[[NULL]], %[[NULL]])
// CHECK:      llvm.return %[[R]] : i32

// CHECK-LABEL: llvm.func @m_run_parallel(
// CHECK-SAME: %[[IN:.*]]: !llvm.ptr, %{{.*}}: !llvm.ptr, %[[ARENA:.*]]: !llvm.ptr, %[[HOOK:.*]]: !llvm.ptr, %[[POOL:.*]]: !llvm.ptr) -> i32
// CHECK:      %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(ptr, f32, ptr)>
// CHECK:      %[[S:.*]] = llvm.mlir.constant(2.000000e+00 : f32)
// CHECK:      %[[F0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK:      llvm.store %[[IN]], %[[F0]]
// CHECK:      %[[F1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK:      llvm.store %[[S]], %[[F1]]
// CHECK:      %[[F2:.*]] = llvm.getelementptr %[[CTX]][0, 2]
// CHECK:      llvm.store %[[ARENA]], %[[F2]]
// CHECK:      %[[Z:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK:      %[[NOHOOK:.*]] = llvm.icmp "eq" %[[HOOK]], %[[Z]]
// CHECK:      %[[SERIAL:.*]] = llvm.mlir.addressof @m_serial_for
// CHECK:      %[[FN:.*]] = llvm.select %[[NOHOOK]], %[[SERIAL]], %[[HOOK]]
// CHECK:      %[[N:.*]] = llvm.mlir.constant(6 : i32)
// CHECK:      %[[W:.*]] = llvm.mlir.constant(3 : i32)
// CHECK:      %[[TASK:.*]] = llvm.mlir.addressof @body_task
// CHECK:      llvm.call %[[FN]](%[[POOL]], %[[N]], %[[W]], %[[TASK]], %[[CTX]]) : !llvm.ptr, (!llvm.ptr, i32, i32, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-NOT:  @body_launch

// CHECK-LABEL: llvm.func internal @m_serial_for(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %[[N:.*]]: i32, %{{.*}}: i32, %[[FN:.*]]: !llvm.ptr, %[[CTX:.*]]: !llvm.ptr)
// CHECK:      %[[ZERO:.*]] = llvm.mlir.constant(0 : i32)
// CHECK:      llvm.br ^[[HEAD:.*]](%[[ZERO]] : i32)
// CHECK:      ^[[HEAD]](%[[T:.*]]: i32):
// CHECK:      %[[MORE:.*]] = llvm.icmp "slt" %[[T]], %[[N]]
// CHECK:      llvm.cond_br %[[MORE]], ^[[BODY:.*]], ^[[EXIT:.*]]
// CHECK:      ^[[BODY]]:
// CHECK:      llvm.call %[[FN]](%[[CTX]], %[[T]], %[[ZERO]])
// CHECK:      %[[NEXT:.*]] = llvm.add %[[T]]
// CHECK:      llvm.br ^[[HEAD]](%[[NEXT]] : i32)
// CHECK:      ^[[EXIT]]:
// CHECK:      llvm.return

// CHECK-LABEL: llvm.func internal @body_task(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[T:.*]]: i32, %[[W:.*]]: i32)
// CHECK:      %[[T64:.*]] = llvm.zext %[[T]] : i32 to i64
// CHECK:      %[[W64:.*]] = llvm.zext %[[W]] : i32 to i64
// CHECK:      %[[P0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK:      %[[V0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK:      %[[P1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK:      %[[V1:.*]] = llvm.load %[[P1]] : !llvm.ptr -> f32
// CHECK:      %[[P2:.*]] = llvm.getelementptr %[[CTX]][0, 2]
// CHECK:      %[[V2:.*]] = llvm.load %[[P2]] : !llvm.ptr -> !llvm.ptr
// CHECK:      llvm.call @body(%[[T64]], %[[W64]], %[[V0]], %[[V1]], %[[V2]])

// -----

// Without launches, the two entry points still exist.
llvm.func @m_run(%in: !llvm.ptr, %arena: !llvm.ptr) -> i32 attributes {sieve.entry} {
  %z = llvm.mlir.constant(0 : i32) : i32
  llvm.return %z : i32
}
// CHECK-LABEL: llvm.func @m_run(
// CHECK:      llvm.call @m_run_parallel(
// CHECK-LABEL: llvm.func @m_run_parallel(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK-NOT:  m_serial_for

// -----

// expected-error @below {{no entry function '<name>_run' marked 'sieve.entry' on the LLVM dialect; run sieve-export-entry and the LLVM lowering first}}
module {
  llvm.func @m_run(%arena: !llvm.ptr) -> i32 {
    %z = llvm.mlir.constant(0 : i32) : i32
    llvm.return %z : i32
  }
}
