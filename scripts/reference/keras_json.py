"""Keras Functional model JSON for a KerasGraph, in the spellings tensorflowjs_converter passes through.

'keras2': TF 2.x tf.keras (class_name "Functional", inbound_nodes [[["name", 0, 0, {}]]], batch_input_shape,
          BatchNormalization axis written as a list [3], as TF 2.x get_config() does after build).
'keras2-legacy': Keras 2.2.x as the first tfjs converters saw it ("Model", no "groups", BN axis an int, and the
          topology under "model_config" beside "keras_version"/"backend").
'keras3': Keras 3 ("module"/"registered_name"/"build_config" keys, dtype as a DTypePolicy object, inbound_nodes
          [{"args": [{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history"}}], "kwargs": {}}]
          with merge layers' inputs as one list argument, InputLayer batch_shape, BN axis -1).
"""

KERAS_VERSION = {'keras2': '2.15.0', 'keras2-legacy': '2.2.4-tf', 'keras3': '3.6.0'}
GENERATED_BY = {'keras2': 'keras v2.15.0', 'keras2-legacy': 'keras v2.2.4-tf', 'keras3': 'keras v3.6.0'}
CONVERTED_BY = 'TensorFlow.js Converter v4.22.0'


def _init(spelling, cls, config=None):
    out = {'class_name': cls, 'config': config if config is not None else {}}
    if spelling == 'keras3':
        out = {'module': 'keras.initializers', **out, 'registered_name': None}
    return out


def _dtype(spelling):
    if spelling == 'keras3':
        return {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}
    return 'float32'


def _pair(v):
    return [v, v]


def layer_config(g, node, spelling):
    a, k3 = node.args, spelling == 'keras3'
    if node.cls == 'InputLayer':
        shape = [None, *node.shape]
        cfg = {'batch_shape': shape} if k3 else {'batch_input_shape': shape}
        cfg.update(dtype='float32', sparse=False, ragged=False, name=node.name)
        return cfg
    cfg = {'name': node.name, 'trainable': True, 'dtype': _dtype(spelling)}
    glorot, zeros, ones = (_init(spelling, 'GlorotUniform', {'seed': None}), _init(spelling, 'Zeros'), _init(spelling, 'Ones'))
    if node.cls in ('Conv2D', 'DepthwiseConv2D'):
        if node.cls == 'Conv2D':
            cfg['filters'] = a['filters']
        cfg.update(kernel_size=_pair(a['kernel_size']), strides=_pair(a['strides']), padding=a['padding'],
                   data_format='channels_last', dilation_rate=[1, 1])
        if spelling == 'keras2' or (k3 and node.cls == 'Conv2D'):
            cfg['groups'] = 1
        cfg.update(activation='linear', use_bias=a['use_bias'])
        if node.cls == 'Conv2D':
            cfg.update(kernel_initializer=glorot, bias_initializer=zeros, kernel_regularizer=None, bias_regularizer=None,
                       activity_regularizer=None, kernel_constraint=None, bias_constraint=None)
        else:
            cfg.update(bias_initializer=zeros, bias_regularizer=None, activity_regularizer=None, bias_constraint=None,
                       depth_multiplier=a['depth_multiplier'], depthwise_initializer=glorot, depthwise_regularizer=None,
                       depthwise_constraint=None)
    elif node.cls == 'BatchNormalization':
        axis = {'keras2': [3], 'keras2-legacy': 3, 'keras3': -1}[spelling]
        cfg.update(axis=axis, momentum=0.9, epsilon=a['epsilon'], center=True, scale=True, beta_initializer=zeros,
                   gamma_initializer=ones, moving_mean_initializer=zeros, moving_variance_initializer=ones,
                   beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None)
        if k3:
            cfg['synchronized'] = False
    elif node.cls == 'ReLU':
        mv = a['max_value']
        cfg.update(max_value=None if mv is None else float(mv), negative_slope=0.0, threshold=0.0)
    elif node.cls == 'ZeroPadding2D':
        cfg.update(padding=[list(p) for p in a['padding']], data_format='channels_last')
    elif node.cls == 'GlobalAveragePooling2D':
        cfg['data_format'] = 'channels_last'
        if spelling != 'keras2-legacy':
            cfg['keepdims'] = False
    elif node.cls == 'Dense':
        cfg.update(units=a['units'], activation=a['activation'], use_bias=True, kernel_initializer=glorot,
                   bias_initializer=zeros, kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                   kernel_constraint=None, bias_constraint=None)
    elif node.cls != 'Add':
        raise ValueError(f'expected a supported layer, got {node.cls}')
    return cfg


def inbound_nodes(g, node, spelling):
    if not node.inputs:
        return []
    if spelling != 'keras3':
        return [[[name, 0, 0, {}] for name in node.inputs]]
    tensors = [{'class_name': '__keras_tensor__',
                'config': {'shape': [None, *g.shape(name)], 'dtype': 'float32', 'keras_history': [name, 0, 0]}}
               for name in node.inputs]
    return [{'args': [tensors] if node.cls == 'Add' else tensors, 'kwargs': {}}]


def model_topology(g, spelling):
    layers = []
    for node in g.nodes:
        entry = {'class_name': node.cls, 'config': layer_config(g, node, spelling)}
        if spelling == 'keras3':
            entry = {'module': 'keras.layers', **entry, 'registered_name': None}
            if node.cls != 'InputLayer':
                shapes = [[None, *g.shape(i)] for i in node.inputs]
                entry['build_config'] = {'input_shape': shapes if len(shapes) > 1 else shapes[0]}
        entry.update(name=node.name, inbound_nodes=inbound_nodes(g, node, spelling))
        layers.append(entry)
    config = {'name': g.model_name, 'trainable': True, 'layers': layers,
              'input_layers': [[g.input, 0, 0]], 'output_layers': [[g.nodes[-1].name, 0, 0]]}
    if spelling == 'keras3':
        model = {'module': 'keras.src.models.functional', 'class_name': 'Functional', 'config': config,
                 'registered_name': 'Functional', 'build_config': {'input_shape': None}, 'compile_config': None}
        return {**model, 'keras_version': KERAS_VERSION[spelling], 'backend': 'tensorflow'}
    if spelling == 'keras2-legacy':
        return {'keras_version': KERAS_VERSION[spelling], 'backend': 'tensorflow',
                'model_config': {'class_name': 'Model', 'config': config}}
    return {'class_name': 'Functional', 'config': config, 'keras_version': KERAS_VERSION[spelling], 'backend': 'tensorflow'}
