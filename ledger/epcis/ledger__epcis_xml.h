/* ledger__epcis_xml.h -- internals shared by the two files of the EPCIS XML
 * reader: ledger_epcis_xml.c (the SAX reading of the document, one event at
 * a time, into a small tree) and ledger_epcis_xmlmap.c (that tree mapped to
 * the JSON-LD model, and the messages). Not a contract outside ledger/epcis:
 * the reader's contract is ledger_epcis__xml_foreach in ledger__epcis.h.
 */
#ifndef LEDGER__EPCIS_XML_H
#define LEDGER__EPCIS_XML_H

#include <jansson.h>
#include <stddef.h>

#include "ledger_error.h"

#define LEDGER_EPCIS__XML_MAX_DEPTH 48 /* element nesting in a document, root = 1 */

typedef struct ledger_epcis__xattr {
    char *ns, *prefix, *local, *value; /* ns, prefix NULL when none */
} ledger_epcis__xattr_t;

/* One element of an event, as read. */
typedef struct ledger_epcis__xnode {
    char *ns, *prefix, *local; /* ns, prefix NULL when none */
    char *text;                /* the text children, concatenated (NULL: none) */
    size_t tlen, tcap;
    ledger_epcis__xattr_t *attrs;
    size_t nattrs;
    struct ledger_epcis__xnode *kid, *last, *next, *up;
    long line, col; /* where the start tag ends */
} ledger_epcis__xnode_t;

/* What the mapping and the messages need of the reading. */
typedef struct ledger_epcis__xmap {
    const char *source; /* for messages */
    ledger_err_t *err;
    int in_event;      /* 1: messages name event index (etype) */
    size_t index;      /* of the event being read */
    const char *etype; /* its element name */
    json_t *vns;       /* CURIE prefixes of the event's values: prefix -> GS1 namespace, or
                          null (any other prefix); set by the reader, owned */
    json_t *ns;        /* during the mapping: prefix -> namespace of @context */
    int nsgen;         /* made-up prefixes so far */
    json_t *last_ctx;  /* the "@context" of the last event that had one (owned; events
                          share it: do not modify) */
} ledger_epcis__xmap_t;

/* Sets m->err to "SOURCE: line L, column C: [event N (Type): ]TEXT" and
 * returns LEDGER_EINPUT. */
__attribute__((format(printf, 4, 5))) int ledger_epcis__xfail_at(ledger_epcis__xmap_t *m, long line,
                                                                 long col, const char *fmt, ...);

/* ledger_epcis__xfail_at at n, with "element PATH: " (ObjectEvent/epcList/epc). */
__attribute__((format(printf, 3, 4))) int ledger_epcis__xfail_node(ledger_epcis__xmap_t *m,
                                                                   const ledger_epcis__xnode_t *n,
                                                                   const char *fmt, ...);

/* 1 when ns is the namespace of a GS1 vocabulary (https://gs1.org/voc/,
 * https://ref.gs1.org/cbv/), whose CURIEs the event hash expands. */
int ledger_epcis__xml_gs1_vocab(const char *ns);

/* The standard fields of an event: how each is written in XML. One table
 * for the reader and the writer (ledger_epcis_xmlw.c). */
enum {
    LEDGER_EPCIS__XF_STRING,  /* <f>text</f> */
    LEDGER_EPCIS__XF_TIME,    /* <f>date-time</f>, checked */
    LEDGER_EPCIS__XF_EPCS,    /* <f><epc>..</epc>...</f>: an array of strings */
    LEDGER_EPCIS__XF_QTYS,    /* <f><quantityElement>...: {epcClass, quantity, uom} */
    LEDGER_EPCIS__XF_POINT,   /* readPoint, bizLocation: <id> and extensions */
    LEDGER_EPCIS__XF_TYPED,   /* <f><item type="T">V</item>...: {type, item: V} */
    LEDGER_EPCIS__XF_ILMD,    /* extensions only */
    LEDGER_EPCIS__XF_ERROR,   /* errorDeclaration */
    LEDGER_EPCIS__XF_PDISP,   /* persistentDisposition: set, unset */
    LEDGER_EPCIS__XF_SENSORS, /* sensorElementList */
};
typedef struct ledger_epcis__xfield {
    const char *name; /* the element and the JSON-LD member */
    int kind;         /* LEDGER_EPCIS__XF_... */
    const char *item; /* the child element of a list, else NULL */
} ledger_epcis__xfield_t;

/* The field of an event named name, NULL when it is not a standard one. */
const ledger_epcis__xfield_t *ledger_epcis__xml_field(const char *name);

/* The type of an attribute of sensorMetadata or sensorReport. */
enum {
    LEDGER_EPCIS__XS_STRING,
    LEDGER_EPCIS__XS_NUMBER,
    LEDGER_EPCIS__XS_TIME,
    LEDGER_EPCIS__XS_BOOLEAN
};
int ledger_epcis__xml_sensor_attr(const char *name);

/* Frees a tree and its siblings. */
void ledger_epcis__xfree(ledger_epcis__xnode_t *n);

/* Maps the tree of one event (ev: the event element) to its JSON-LD
 * object *out (new reference): the rules at the top of ledger_epcis_xml.c.
 * 0, LEDGER_EINPUT naming the element (a bad date, number, an element the
 * standard does not have there), LEDGER_ENOMEM. The text of the nodes is
 * trimmed in place. */
int ledger_epcis__xml_to_json(ledger_epcis__xmap_t *m, ledger_epcis__xnode_t *ev, json_t **out);

#endif
