"""Hostile ONNX files for test/onnx/: each must be refused with a clear EngineError. Run with Debian's python3:
cd /tmp && /usr/bin/python3 /work/wt/onnx/scripts/onnx/make_hostile.py OUTDIR"""
import sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

out = sys.argv[1]
X = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 4, 4])
Y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 10])
W = numpy_helper.from_array(np.zeros((10, 48), np.float32), 'w')


def save(name, nodes, inits, inputs=None):
    g = helper.make_graph(nodes, name, inputs or [X], [Y], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
    onnx.save(m, f'{out}/{name}.onnx')


flat = helper.make_node('Flatten', ['x'], ['f'], name='flat')
gemm = helper.make_node('Gemm', ['f', 'w'], ['y'], name='fc', transB=1)
save('ok', [flat, gemm], [W])
save('unknown-op', [flat, helper.make_node('Gelu', ['f'], ['g'], name='gelu'), helper.make_node('Gemm', ['g', 'w'], ['y'], name='fc', transB=1)], [W])
save('cycle', [helper.make_node('Relu', ['x', 'b'], ['a'], name='r1'), helper.make_node('Relu', ['a'], ['b'], name='r2'), flat, gemm], [W])
huge = TensorProto(name='w', data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20])
huge.raw_data = b'\0' * 16
save('huge-dims', [flat, gemm], [huge])
ext = TensorProto(name='w', data_type=TensorProto.FLOAT, dims=[10, 48], data_location=TensorProto.EXTERNAL)
ext.external_data.add(key='location', value='../../etc/passwd')
save('external-escape', [flat, gemm], [ext])
short = TensorProto(name='w', data_type=TensorProto.FLOAT, dims=[10, 48])
short.raw_data = b'\0' * (4 * 479)
save('size-mismatch', [flat, gemm], [short])
