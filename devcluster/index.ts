// devcluster/: public surface. Other folders import it only through this file.
export {};
