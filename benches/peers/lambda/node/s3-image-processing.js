// S3 and sharp helpers of the original avatar function, kept in the same shape: fetch the
// upload, resize it to cover WIDTH x HEIGHT (centre crop), encode a JPEG with sharp's
// defaults (quality 80), and upload it with Content-Type image/jpeg.
'use strict';

const sharp = require('sharp');
const { S3Client, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');

function getClient() {
  // In Lambda the SDK finds region and credentials in the environment. For a local
  // S3-compatible server, AWS_ENDPOINT_URL_S3 is honoured by the SDK and needs path-style
  // addressing.
  return new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
}

async function getOriginalImage(client, srcBucket, srcKey) {
  const response = await client.send(new GetObjectCommand({ Bucket: srcBucket, Key: srcKey }));
  const chunks = [];
  for await (const chunk of response.Body) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function processImage(image, width, height, autoOrient) {
  let pipeline = sharp(image);
  if (autoOrient) {
    // Not in the original (its phone photos came out sideways); used to compare like with like.
    pipeline = pipeline.rotate();
  }
  return pipeline.resize(width, height).jpeg().toBuffer();
}

async function uploadProcessedImage(client, dstBucket, dstKey, image) {
  return client.send(
    new PutObjectCommand({ Bucket: dstBucket, Key: dstKey, Body: image, ContentType: 'image/jpeg' }),
  );
}

module.exports = { getClient, getOriginalImage, processImage, uploadProcessedImage };
