// Installs the loopback socket guard on this process's sockets (see loopbackSocketGuard.ts).
import net from "node:net";
import { guardSocketConnect } from "./loopbackSocketGuard.js";

guardSocketConnect(net.Socket.prototype);
