#!/usr/bin/env python3
"""Loads an `lrnn export` folder with numpy alone and runs the model step by step
(docs/model-spec.md section 5) from a zero state.

usage: forward_step.py EXPORT_DIR TOKEN_ID... [--out LOGITS.npy]
Prints the logits after the last token; --out saves all of them as float32, shape (n, V).
"""
import json, struct, sys
import numpy as np

def load_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32"
        begin, end = t["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(t["shape"]).astype(np.float64)
    return tensors

EPS = 1e-6
sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))
clampexp = lambda x: np.exp(np.clip(x, -10.0, 10.0))

def layer_norm(x, w, b):
    mu = x.mean()
    return w * (x - mu) / np.sqrt(((x - mu) ** 2).mean() + EPS) + b

def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()

class Model:
    def __init__(self, folder):
        self.cfg = json.load(open(folder + "/config.json"))
        self.p = load_safetensors(folder + "/model.safetensors")
        d, H, S = self.cfg["n_embd"], self.cfg["n_head"], self.cfg["n_mem_slots"]
        head = np.arange(d) // (d // H)                       # head of each channel
        self.alibi = np.exp(-(2.0 ** (-8.0 * (head + 1) / H)))  # a_h per channel
        # Per layer: the last four ln1 outputs u (newest first), the previous ln2 output z,
        # and the slot accumulators N, D (S, d): all zero at the start.
        self.state = [dict(u=np.zeros((4, d)), z=np.zeros(d), N=np.zeros((S, d)), D=np.zeros((S, d)))
                      for _ in range(self.cfg["n_layer"])]

    def step(self, token):
        p = self.p
        h = layer_norm(p["emb"][token], p["ln0_weight"], p["ln0_bias"])
        for l, s in enumerate(self.state):
            L = lambda name: p[f"layers.{l}.{name}"]
            # time mix (section 4.2)
            u = layer_norm(h, L("ln1_weight"), L("ln1_bias"))
            g1, g2, g4 = sigmoid(L("time_shift_w1")), sigmoid(L("time_shift_w2")), sigmoid(L("time_shift_w4"))
            sh = (g1 * s["u"][0] + g2 * s["u"][1] + g4 * s["u"][3]) / (g1 + g2 + g4 + EPS)
            mix = lambda m: u * sigmoid(m) + sh * (1.0 - sigmoid(m))
            r = sigmoid(mix(L("time_mix_r")) @ L("Wr"))
            k = clampexp(mix(L("time_mix_k")) @ L("Wk"))
            v = mix(L("time_mix_v")) @ L("Wv")
            w = sigmoid(L("decay_base") + (u @ L("decay_lora_a")) @ L("decay_lora_b"))
            beta = clampexp(L("time_first"))
            wg, rg = softmax(u @ L("mem_gate_write")), softmax(u @ L("mem_gate_read"))
            wkv = (rg @ s["N"] + beta * k * v) / (rg @ s["D"] + beta * k + EPS)
            s["N"] = w * self.alibi * s["N"] + np.outer(wg, k * v)
            s["D"] = w * self.alibi * s["D"] + np.outer(wg, k)
            s["u"] = np.vstack([u, s["u"][:3]])
            h = h + (r * wkv) @ L("Wo")
            # channel mix (section 4.3)
            z = layer_norm(h, L("ln2_weight"), L("ln2_bias"))
            cm = sigmoid(L("channel_mix"))
            xm = z * cm + s["z"] * (1.0 - cm)
            s["z"] = z
            gate = xm @ L("ffn_gate")
            h = h + (gate * sigmoid(gate) * (xm @ L("ffn_up"))) @ L("ffn_down")
        return layer_norm(h, p["ln_out_weight"], p["ln_out_bias"]) @ p["head"]

if __name__ == "__main__":
    args = sys.argv[1:]
    out = None
    if "--out" in args:
        i = args.index("--out")
        out = args[i + 1]
        del args[i:i + 2]
    model = Model(args[0])
    logits = np.array([model.step(int(t)) for t in args[1:]])
    if out:
        np.save(out, logits.astype(np.float32))
    print(" ".join(f"{x:.6f}" for x in logits[-1]))
